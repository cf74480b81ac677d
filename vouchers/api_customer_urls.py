"""The shop's view of a customer: GET /api/v1/customers/{customer_ref}/vouchers."""

from django.urls import path

from vouchers.api import views

app_name = "vouchers_customers"

urlpatterns = [
    path("<str:customer_ref>/vouchers", views.CustomerVouchersView.as_view(), name="vouchers"),
]
