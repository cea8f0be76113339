from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.apis import TokenApi
from common.health import healthz, readyz, workers_health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/auth/token/", TokenApi.as_view(), name="api-token"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("healthz/workers", workers_health, name="healthz-workers"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/staff/", include("hiring.urls_api")),
    path("api/staff/", include("hiring.urls_reports")),
    path("api/", include("assessments.urls_api")),
    path("staff/", include("hiring.urls_staff")),
    path("staff/", include("hiring.urls_pages_reports")),
    path("", include("hiring.urls")),
    path("", include("assessments.urls")),
]

handler404 = "common.apis.not_found"
