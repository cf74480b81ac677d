from django.urls import path

from vouchers import views

app_name = "vouchers"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("<int:voucher_id>/code/", views.voucher_code_show, name="code"),
]
