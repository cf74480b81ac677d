from django.urls import path

from payouts import api

app_name = "payouts-api"

urlpatterns = [
    path("batches/", api.StaffBatchList.as_view(), name="batches"),
    path("batches/<uuid:public_id>/", api.StaffBatchDetail.as_view(), name="batch"),
    path("", api.StaffPayoutList.as_view(), name="payouts"),
]
