from django.urls import path

from claims import api

app_name = "claims-api"

urlpatterns = [
    path("claims/", api.ClaimantClaimList.as_view(), name="my-claims"),
    path("claims/<str:reference>/", api.ClaimantClaimDetail.as_view(), name="my-claim"),
    path("staff/claims/", api.StaffQueue.as_view(), name="queue"),
    path("staff/claims/<str:reference>/", api.StaffClaimDetail.as_view(), name="queue-claim"),
]
