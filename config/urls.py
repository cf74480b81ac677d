from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import health

# Swagger UI with its start-up script served from this same address (?script), so scripts stay
# 'self'. Its page template and the UI itself use inline styles and data: images: allowed on
# this page alone, which shows no personal data.
api_docs = csp_update({"style-src": [UNSAFE_INLINE], "img-src": ["data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/", include("accounts.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", api_docs, name="api-docs"),
    path("api/v1/", include("claims.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/vouchers/", include("vouchers.api_urls")),
    path("api/v1/customers/", include("vouchers.api_customer_urls")),
    path("api/v1/staff/payouts/", include("payouts.api_urls")),
    path("wallet/", include("vouchers.urls")),
    path("", include("support.urls")),
    path("", include("claims.urls")),
]
