"""Practice: untimed sessions by skill area and difficulty from the published bank, instant
feedback with the key and explanation, new variants each time, and a readiness view."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from assessments.models import Assessment, Attempt, Response
from assessments.selectors import assessment_list_for_user, skill_readiness
from assessments.services import attempt_submit, response_save
from assessments.services.practice import practice_check, practice_start
from common.exceptions import ApplicationError, Conflict
from tests.accounts.factories import UserFactory
from tests.assessments.factories import (
    SkillFactory,
    assessment_with,
    invite,
    numeric_question,
    single_choice_question,
    variants_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    stats = SkillFactory(slug="statistical-analysis", name="Statistical analysis")
    questions = []
    for i in range(7):
        q = numeric_question(answer=float(i), abs_tol=0.01, difficulty="easy", explanation=f"It is {i}.")
        q.skills.set([stats])
        questions.append(q)
    return stats, questions


def test_a_session_draws_five_questions_of_the_skill_and_has_no_real_time_limit(bank):
    stats, questions = bank
    candidate = UserFactory()
    attempt = practice_start(candidate=candidate, skill=stats, difficulty="easy")
    assert attempt.assessment.mode == Assessment.Mode.PRACTICE
    assert Response.objects.filter(attempt=attempt).count() == 5
    assert (attempt.deadline - attempt.started_at).days >= 7
    assert practice_start(candidate=candidate, skill=stats, difficulty="easy") == attempt  # resumes
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    again = practice_start(candidate=candidate, skill=stats, difficulty="easy")
    assert again != attempt  # practise as often as you like
    assert not assessment_list_for_user(user=candidate).filter(mode=Assessment.Mode.PRACTICE).exists()


def test_checking_an_answer_gives_the_verdict_the_key_and_the_explanation(bank):
    stats, _ = bank
    attempt = practice_start(candidate=UserFactory(), skill=stats, difficulty="easy")
    response = Response.objects.filter(attempt=attempt).select_related("question__numeric").first()
    right = response.question.numeric.answer
    response_save(attempt_id=attempt.id, question_id=response.question_id, answer={"value": right + 5})

    wrong = practice_check(attempt_id=attempt.id, question_id=response.question_id)
    assert (wrong["correct"], wrong["key"], wrong["explanation"]) == (False, f"{right:g}", f"It is {int(right)}.")
    response_save(attempt_id=attempt.id, question_id=response.question_id, answer={"value": right})
    assert practice_check(attempt_id=attempt.id, question_id=response.question_id)["correct"] is True


def test_answers_are_never_checked_in_a_real_assessment(bank):
    question = numeric_question()
    assessment = assessment_with(question)
    from assessments.services import attempt_start

    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    with pytest.raises(Conflict):
        practice_check(attempt_id=attempt.id, question_id=question.id)
    client = APIClient()
    client.force_authenticate(attempt.candidate)
    assert client.post(f"/api/attempts/{attempt.id}/responses/{question.id}/check/").status_code == 409


def test_each_session_brings_a_parameterized_item_with_numbers_not_seen_before():
    skill = SkillFactory(slug="probability", name="Probability")
    question = numeric_question(answer=None, abs_tol=0.01, prompt="{{a}} + 1?")
    question.generator = "def generate(rng): ..."
    question.save()
    question.skills.set([skill])
    variants_of(question, [{"params": {"a": i}, "answer": i + 1} for i in range(20)])
    candidate = UserFactory()
    seen = []
    for _ in range(6):
        attempt = practice_start(candidate=candidate, skill=skill)
        seen.append(Response.objects.get(attempt=attempt).variant.index)
        attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    assert len(set(seen)) == 6


def test_the_readiness_view_points_at_the_weakest_skill_area(bank):
    stats, _ = bank
    sql = SkillFactory(slug="sql", name="SQL")
    strong = single_choice_question()
    strong.skills.set([sql])
    candidate = UserFactory()
    attempt = practice_start(candidate=candidate, skill=stats, difficulty="easy")
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)  # all unanswered: 0
    sql_attempt = practice_start(candidate=candidate, skill=sql)
    right = strong.options.get(is_correct=True)
    response_save(attempt_id=sql_attempt.id, question_id=strong.id, answer={"choice": right.id})
    attempt_submit(attempt_id=sql_attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)

    readiness = {r["skill"]: r for r in skill_readiness(candidate=candidate)}

    assert readiness["sql"]["mastery"] == 100.0 and readiness["sql"]["next_difficulty"] == "hard"
    assert readiness["statistical-analysis"]["mastery"] == 0.0 and readiness["statistical-analysis"]["practise_next"]
    assert readiness["statistical-analysis"]["practised"] == 5


def test_a_candidate_practises_through_the_pages_without_javascript(bank):
    stats, _ = bank
    page = Client()
    page.force_login(UserFactory())
    listing = page.get("/practice/").content.decode()
    assert "Readiness by skill" in listing and "Statistical analysis" in listing

    started = page.post("/practice/", {"skill": "statistical-analysis", "difficulty": "easy"})
    attempt = Attempt.objects.get()
    assert started.url == f"/attempts/{attempt.id}/"
    taking = page.get(started.url).content.decode()
    assert "untimed" in taking and "Check my answer" in taking
    response = Response.objects.filter(attempt=attempt).first()
    page.post(f"/attempts/{attempt.id}/questions/{response.question_id}/save/", {"value": "999"})
    checked = page.post(f"/attempts/{attempt.id}/questions/{response.question_id}/check/", follow=True).content.decode()
    assert "Not quite." in checked and "It is" in checked


def test_nothing_to_practise_is_said_plainly():
    with pytest.raises(ApplicationError, match="no published questions"):
        practice_start(candidate=UserFactory(), skill=SkillFactory(slug="empty", name="Empty"), difficulty="hard")


def test_practice_never_offers_an_assessments_fixed_question_whose_key_it_would_show(bank):
    stats, questions = bank
    exam = assessment_with(*questions[:3])
    session = practice_start(candidate=UserFactory(), skill=stats, difficulty="easy")
    drawn = set(Response.objects.filter(attempt=session).values_list("question_id", flat=True))
    assert drawn.isdisjoint({q.id for q in exam.questions.all()})
    assert len(drawn) == 4  # the other four of the seven
