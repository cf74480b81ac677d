from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("claims.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/vouchers/", include("vouchers.api_urls")),
    path("wallet/", include("vouchers.urls")),
    path("", include("claims.urls")),
]
