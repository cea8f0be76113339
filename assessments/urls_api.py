from django.urls import path

from assessments import apis, apis_staff

urlpatterns = [
    path("assessments/", apis.AssessmentListApi.as_view(), name="assessment-list"),
    path("assessments/<int:assessment_id>/attempts/", apis.AttemptStartApi.as_view(), name="attempt-start"),
    path("attempts/<int:attempt_id>/", apis.AttemptDetailApi.as_view(), name="attempt-detail"),
    path(
        "attempts/<int:attempt_id>/responses/<int:question_id>/",
        apis.ResponseSaveApi.as_view(),
        name="response-save",
    ),
    path(
        "attempts/<int:attempt_id>/responses/<int:question_id>/runs/",
        apis.RunCreateApi.as_view(),
        name="run-create",
    ),
    path(
        "attempts/<int:attempt_id>/responses/<int:question_id>/submissions/",
        apis.SubmissionCreateApi.as_view(),
        name="submission-create",
    ),
    path("attempts/<int:attempt_id>/responses/<int:question_id>/time/", apis.TimeSpentApi.as_view(), name="time-spent"),
    path("attempts/<int:attempt_id>/responses/<int:question_id>/datasets/<str:name>", apis.ResponseDatasetApi.as_view(),
         name="response-dataset"),
    path("attempts/<int:attempt_id>/responses/<int:question_id>/check/", apis.PracticeCheckApi.as_view(), name="practice-check"),
    path("practice/", apis.PracticeStartApi.as_view(), name="practice-start"),
    path("me/readiness/", apis.ReadinessApi.as_view(), name="readiness"),
    path("attempts/<int:attempt_id>/events/", apis.IntegrityEventsApi.as_view(), name="integrity-events"),
    path("attempts/<int:attempt_id>/integrity/", apis.IntegrityApi.as_view(), name="integrity"),
    path("attempts/<int:attempt_id>/submit/", apis.AttemptSubmitApi.as_view(), name="attempt-submit"),
    path("attempts/<int:attempt_id>/report/", apis.AttemptReportApi.as_view(), name="attempt-report"),
    path("submissions/<int:submission_id>/", apis.SubmissionDetailApi.as_view(), name="submission-detail"),
    path("staff/assessments/<int:assessment_id>/invitations/", apis_staff.InvitationCreateApi.as_view(),
         name="staff-invitation-create"),
    path("staff/assessments/<int:assessment_id>/invitations/csv/", apis_staff.InvitationCsvApi.as_view(),
         name="staff-invitation-csv"),
    path("staff/invitations/<int:invitation_id>/resend/", apis_staff.InvitationResendApi.as_view(),
         name="staff-invitation-resend"),
    path("staff/invitations/<int:invitation_id>/revoke/", apis_staff.InvitationRevokeApi.as_view(),
         name="staff-invitation-revoke"),
]
