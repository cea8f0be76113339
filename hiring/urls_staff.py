from django.urls import path

from hiring import views_staff

urlpatterns = [
    path("", views_staff.staff_home, name="staff-home"),
    path("roles/new/", views_staff.role_new, name="staff-role-new"),
    path("roles/<int:role_id>/", views_staff.role_candidates, name="staff-role"),
    path("roles/<int:role_id>/candidates/", views_staff.role_add_candidates, name="staff-role-add"),
    path("roles/<int:role_id>/stages/<slug:stage_slug>/", views_staff.stage_settings, name="staff-stage-settings"),
    path("roles/<int:role_id>/move/", views_staff.role_candidates_move, name="staff-role-move"),
    path("candidates/<int:application_id>/", views_staff.candidate, name="staff-candidate"),
    path("candidates/<int:application_id>/move/", views_staff.candidate_move, name="staff-candidate-move"),
    path("candidates/<int:application_id>/scorecard/", views_staff.candidate_scorecard, name="staff-candidate-scorecard"),
    path("candidates/<int:application_id>/comment/", views_staff.candidate_comment, name="staff-candidate-comment"),
    path("candidates/<int:application_id>/override/", views_staff.candidate_override, name="staff-candidate-override"),
    path("candidates/<int:application_id>/interviewers/", views_staff.candidate_interviewers,
         name="staff-candidate-interviewers"),
    path("candidates/<int:application_id>/report.pdf", views_staff.candidate_pdf, name="staff-candidate-pdf"),
]
