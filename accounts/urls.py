from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("enrol/<str:token>/", views.enrol, name="enrol"),
]
