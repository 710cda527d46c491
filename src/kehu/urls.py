from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/v1/", include("kehu.api_urls")),
    path("", include("kehu.core.urls")),
    path("accounts/", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("interactions/", include("kehu.interactions.urls")),
    path("tags/", include("kehu.tags.urls")),
    path("data-quality/", include("kehu.dataquality.urls")),
    path("sales/", include("kehu.sales.urls")),
    path("pool/", include("kehu.pool.urls")),
    path("segments/", include("kehu.segments.urls")),
    path("dashboard/", include("kehu.analytics.urls")),
    path("recycle-bin/", include("kehu.recyclebin.urls")),
    path("audit/", include("kehu.audit.urls")),
    path("privacy/", include("kehu.privacy.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.KEHU_COMPANY_NAME
admin.site.site_title = settings.KEHU_COMPANY_NAME
