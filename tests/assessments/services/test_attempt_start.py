from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from assessments.models import Attempt, Response
from assessments.services import attempt_start
from common.exceptions import Conflict, NotFound
from tests.accounts.factories import UserFactory
from tests.assessments.factories import assessment_with, code_question, invite, numeric_question, single_choice_question

pytestmark = pytest.mark.django_db


def test_starting_fixes_the_deadline_on_the_server_including_extra_time():
    assessment = assessment_with(single_choice_question(), time_limit=timedelta(minutes=30))
    invitation = invite(assessment, extra_time=timedelta(minutes=10))
    with time_machine.travel("2026-05-01 10:00:00+00:00", tick=False):
        attempt, created = attempt_start(candidate=invitation.candidate, assessment=assessment)
    assert created
    assert attempt.started_at == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert attempt.deadline - attempt.started_at == timedelta(minutes=40)
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_starting_creates_an_empty_response_per_question_and_the_max_score():
    questions = [single_choice_question(), numeric_question(), code_question()]
    assessment = assessment_with(*questions)
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    assert Response.objects.filter(attempt=attempt).count() == 3
    assert attempt.max_score == sum(q.points for q in questions)


def test_starting_again_resumes_the_open_attempt():
    assessment = assessment_with(single_choice_question())
    invitation = invite(assessment)
    first, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    second, created = attempt_start(candidate=invitation.candidate, assessment=assessment)
    assert (second.id, created) == (first.id, False)


def test_an_uninvited_candidate_cannot_start_a_private_assessment():
    assessment = assessment_with(single_choice_question())
    with pytest.raises(NotFound):
        attempt_start(candidate=UserFactory(), assessment=assessment)


def test_a_revoked_invitation_hides_the_assessment():
    assessment = assessment_with(single_choice_question())
    invitation = invite(assessment, revoked_at=timezone.now())
    with pytest.raises(NotFound):
        attempt_start(candidate=invitation.candidate, assessment=assessment)


def test_an_expired_invitation_cannot_start():
    assessment = assessment_with(single_choice_question())
    invitation = invite(assessment, available_until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict, match="expired"):
        attempt_start(candidate=invitation.candidate, assessment=assessment)


def test_an_invited_assessment_is_taken_once():
    assessment = assessment_with(single_choice_question())
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    Attempt.objects.filter(pk=attempt.pk).update(state=Attempt.State.GRADED, score=0)
    with pytest.raises(Conflict, match="already taken"):
        attempt_start(candidate=invitation.candidate, assessment=assessment)


def test_a_public_assessment_can_be_practised_again():
    assessment = assessment_with(single_choice_question(), is_public=True)
    candidate = UserFactory()
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    Attempt.objects.filter(pk=attempt.pk).update(state=Attempt.State.GRADED, score=0)
    again, created = attempt_start(candidate=candidate, assessment=assessment)
    assert created and again.id != attempt.id


def test_starting_schedules_the_deadline_task_after_commit(django_capture_on_commit_callbacks):
    assessment = assessment_with(single_choice_question())
    invitation = invite(assessment)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attempt_start(candidate=invitation.candidate, assessment=assessment)
    assert len(callbacks) == 1
