"""Report and analytics routes (staff API), mounted under api/staff/."""

from django.urls import path

from hiring import apis_reports

urlpatterns = [
    path("roles/<int:role_id>/funnel/", apis_reports.RoleFunnelApi.as_view(), name="staff-role-funnel"),
    path("roles/<int:role_id>/candidates.csv", apis_reports.RoleCandidatesCsvApi.as_view(), name="staff-role-candidates-csv"),
    path("assessments/<int:assessment_id>/item-statistics/", apis_reports.ItemStatisticsApi.as_view(),
         name="staff-item-statistics"),
    path("assessments/<int:assessment_id>/score-distribution/", apis_reports.ScoreDistributionApi.as_view(),
         name="staff-score-distribution"),
    path("assessments/<int:assessment_id>/results.csv", apis_reports.AssessmentResultsCsvApi.as_view(),
         name="staff-assessment-results-csv"),
]
