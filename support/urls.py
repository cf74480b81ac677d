from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("programs/<slug:slug>/ask/", views.inquiry_new, name="inquiry_new"),
    path(
        "programs/<slug:slug>/ask/sent/<str:reference>/",
        views.inquiry_sent,
        name="inquiry_sent",
    ),
]
