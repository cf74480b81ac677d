from django.urls import path

from vouchers.api import views

app_name = "vouchers_api"

urlpatterns = [
    path("validate", views.ValidateView.as_view(), name="validate"),
    path("redeem", views.RedeemView.as_view(), name="redeem"),
    path(
        "redemptions/<uuid:redemption_id>/reverse",
        views.ReverseView.as_view(),
        name="reverse",
    ),
]
