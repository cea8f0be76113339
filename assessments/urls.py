from django.urls import path

from assessments import views

urlpatterns = [
    path("", views.home, name="home"),
    path("invite/<str:token>/", views.invitation_open, name="invitation-open"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:assessment_id>/start/", views.attempt_start, name="attempt-start-page"),
    path("attempts/<int:attempt_id>/", views.attempt_take, name="attempt-take"),
    path("attempts/<int:attempt_id>/questions/<int:question_id>/save/", views.response_save, name="response-save-page"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt-submit-page"),
    path("attempts/<int:attempt_id>/results/", views.attempt_results, name="attempt-results"),
    path("attempts/<int:attempt_id>/integrity-note/", views.integrity_note, name="integrity-note"),
    path("attempts/<int:attempt_id>/questions/<int:question_id>/check/", views.practice_check_page, name="practice-check-page"),
    path("practice/", views.practice, name="practice"),
]
