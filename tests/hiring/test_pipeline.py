from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Attempt, Invitation
from common.exceptions import ApplicationError, Conflict
from hiring.models import Application, Scorecard, StageTransition
from hiring.services import (
    application_close,
    application_create,
    application_move,
    applications_send,
    attempt_graded_apply_rules,
    role_create,
    scorecard_submit,
)
from tests.accounts.factories import StaffFactory, UserFactory
from tests.assessments.factories import SkillFactory, assessment_with, single_choice_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def role():
    SkillFactory(slug="collaboration", name="Collaboration")
    SkillFactory(slug="domain-knowledge", name="Domain knowledge")
    return role_create(slug="ds", title="Data Scientist")


def stage(role, slug):
    return role.stages.get(slug=slug)


def test_every_move_writes_an_audit_row_with_who_from_to_and_note(role):
    recruiter = StaffFactory()
    application = application_create(role=role, candidate=UserFactory(), actor=recruiter)
    application_move(application_id=application.id, to_stage=stage(role, "screening-call"), actor=recruiter, note="Strong CV")
    application_close(application_id=application.id, state=Application.State.REJECTED, actor=recruiter, note="Chose another")
    rows = list(StageTransition.objects.filter(application=application).values_list(
        "actor", "from_stage__slug", "to_stage__slug", "from_state", "to_state", "note"))
    assert rows == [
        (recruiter.id, None, "application", "", "active", "Applied"),
        (recruiter.id, "application", "screening-call", "active", "active", "Strong CV"),
        (recruiter.id, "screening-call", "screening-call", "active", "rejected", "Chose another"),
    ]


def test_a_closed_application_cannot_move_or_reopen(role):
    application = application_create(role=role, candidate=UserFactory())
    application_close(application_id=application.id, state="hired", actor=None)
    with pytest.raises(Conflict):
        application_move(application_id=application.id, to_stage=stage(role, "screening-call"), actor=None)
    with pytest.raises(Conflict):
        application_close(application_id=application.id, state="rejected", actor=None)


def test_a_stage_of_another_role_is_refused(role):
    other = role_create(slug="ml", title="ML Engineer")
    application = application_create(role=role, candidate=UserFactory())
    with pytest.raises(ApplicationError, match="another role"):
        application_move(application_id=application.id, to_stage=stage(other, "screening-call"), actor=None)


def test_a_bulk_move_is_all_or_nothing(role):
    first = application_create(role=role, candidate=UserFactory())
    second = application_create(role=role, candidate=UserFactory())
    application_close(application_id=second.id, state="withdrawn", actor=None)
    with pytest.raises(Conflict):
        applications_send(applications=[first, second], target="screening-call", actor=StaffFactory())
    first.refresh_from_db()
    assert first.stage.slug == "application"


def test_reaching_a_stage_with_the_invite_rule_invites_to_its_assessment(role):
    assessment = assessment_with(single_choice_question())
    technical = stage(role, "technical-assessment")
    technical.assessment, technical.invite_on_enter = assessment, True
    technical.save()
    application = application_create(role=role, candidate=UserFactory())
    application_move(application_id=application.id, to_stage=technical, actor=None)
    assert Invitation.objects.filter(assessment=assessment, candidate=application.candidate).exists()


def test_passing_the_stage_assessment_advances_when_the_rule_is_on(role):
    assessment = assessment_with(single_choice_question(), pass_mark_percent=50)
    technical = stage(role, "technical-assessment")
    technical.assessment, technical.advance_on_pass = assessment, True
    technical.save()
    application = application_create(role=role, candidate=UserFactory())
    application_move(application_id=application.id, to_stage=technical, actor=None)
    now = timezone.now()
    attempt = Attempt.objects.create(candidate=application.candidate, assessment=assessment, seed=1, started_at=now,
                                     deadline=now + timedelta(minutes=5), state="graded", score=2, max_score=2)
    moved = attempt_graded_apply_rules(attempt_id=attempt.id)
    application.refresh_from_db()
    assert [a.id for a in moved] == [application.id]
    assert application.stage.slug == "on-site-interviews"
    assert "scored 100.0%" in application.transitions.last().note


def test_a_failed_attempt_does_not_advance(role):
    assessment = assessment_with(single_choice_question(), pass_mark_percent=50)
    technical = stage(role, "technical-assessment")
    technical.assessment, technical.advance_on_pass = assessment, True
    technical.save()
    application = application_create(role=role, candidate=UserFactory())
    application_move(application_id=application.id, to_stage=technical, actor=None)
    now = timezone.now()
    attempt = Attempt.objects.create(candidate=application.candidate, assessment=assessment, seed=1, started_at=now,
                                     deadline=now + timedelta(minutes=5), state="graded", score=0, max_score=2)
    assert attempt_graded_apply_rules(attempt_id=attempt.id) == []


def test_a_scorecard_rates_the_stages_skills_from_1_to_4(role):
    application = application_create(role=role, candidate=UserFactory())
    screening = stage(role, "screening-call")
    interviewer = StaffFactory()
    card = scorecard_submit(application=application, stage=screening, interviewer=interviewer,
                            ratings={"collaboration": 4, "domain-knowledge": 3}, recommendation="yes", notes="Good")
    assert card.ratings == {"collaboration": 4, "domain-knowledge": 3}
    scorecard_submit(application=application, stage=screening, interviewer=interviewer,
                     ratings={"collaboration": 3}, recommendation="no")
    assert Scorecard.objects.get().recommendation == "no"
    with pytest.raises(ApplicationError, match="1 to 4"):
        scorecard_submit(application=application, stage=screening, interviewer=interviewer,
                         ratings={"collaboration": 5}, recommendation="yes")
    with pytest.raises(ApplicationError, match="not assessed"):
        scorecard_submit(application=application, stage=screening, interviewer=interviewer,
                         ratings={"programming": 2}, recommendation="yes")
    with pytest.raises(ApplicationError, match="does not use scorecards"):
        scorecard_submit(application=application, stage=stage(role, "technical-assessment"), interviewer=interviewer,
                         ratings={}, recommendation="yes")
