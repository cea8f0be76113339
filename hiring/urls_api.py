from django.urls import path

from hiring import apis_staff

urlpatterns = [
    path("roles/", apis_staff.RoleListApi.as_view(), name="staff-roles"),
    path("roles/<int:role_id>/stages/<slug:stage_slug>/", apis_staff.StageUpdateApi.as_view(), name="staff-stage"),
    path("roles/<int:role_id>/applications/", apis_staff.ApplicationListApi.as_view(), name="staff-applications"),
    path("applications/move/", apis_staff.ApplicationBulkMoveApi.as_view(), name="staff-applications-move"),
    path("applications/<int:application_id>/", apis_staff.ApplicationDetailApi.as_view(), name="staff-application"),
    path("applications/<int:application_id>/move/", apis_staff.ApplicationMoveApi.as_view(), name="staff-application-move"),
    path("applications/<int:application_id>/interviewers/", apis_staff.InterviewersApi.as_view(),
         name="staff-application-interviewers"),
    path("applications/<int:application_id>/scorecards/", apis_staff.ScorecardApi.as_view(), name="staff-scorecards"),
    path("applications/<int:application_id>/comments/", apis_staff.CommentApi.as_view(), name="staff-comments"),
    path("applications/<int:application_id>/responses/<int:response_id>/override/", apis_staff.ScoreOverrideApi.as_view(),
         name="staff-score-override"),
]
