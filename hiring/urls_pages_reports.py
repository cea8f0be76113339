"""Report pages, mounted under staff/ (prep/urls.py)."""

from django.urls import path

from hiring import views_reports

urlpatterns = [
    path("reports/", views_reports.reports_index, name="reports"),
    path("reports/roles/<int:role_id>/", views_reports.role_report, name="report-role"),
    path("reports/assessments/<int:assessment_id>/", views_reports.assessment_report, name="report-assessment"),
]
