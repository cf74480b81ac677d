from django.urls import path
from django.views.i18n import JavaScriptCatalog

from accounts import security_key_views, views

app_name = "accounts"

urlpatterns = [
    path("enrol/<str:token>/", views.enrol, name="enrol"),
    path("security-keys/", security_key_views.security_keys, name="security_keys"),
    path(
        "security-keys/register/begin/",
        security_key_views.SecurityKeyRegisterBegin.as_view(),
        name="security_key_register_begin",
    ),
    path(
        "security-keys/register/complete/",
        security_key_views.SecurityKeyRegisterComplete.as_view(),
        name="security_key_register_complete",
    ),
    path("sign-in/key/", security_key_views.security_key_sign_in, name="security_key_sign_in"),
    path(
        "sign-in/key/begin/",
        security_key_views.SecurityKeySignInBegin.as_view(),
        name="security_key_sign_in_begin",
    ),
    path(
        "sign-in/key/complete/",
        security_key_views.SecurityKeySignInComplete.as_view(),
        name="security_key_sign_in_complete",
    ),
    # The library's script messages, with our Korean and Chinese (locale/*/djangojs.po).
    path(
        "security-keys/i18n.js",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="security_keys_i18n",
    ),
]
