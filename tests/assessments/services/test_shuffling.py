"""Shuffled assessments: each attempt's order of questions and options comes from its seed."""

import pytest

from assessments.models import Attempt, Option, Question
from assessments.selectors import attempt_responses
from assessments.services import attempt_start
from tests.assessments.factories import QuestionFactory, assessment_with, invite

pytestmark = pytest.mark.django_db


def choice(i: int) -> Question:
    question = QuestionFactory(kind=Question.Kind.SINGLE_CHOICE, title=f"Q{i}")
    for j in range(5):
        Option.objects.create(question=question, text=f"option {j}", is_correct=j == 0, order=j)
    return question


def orders(attempt: Attempt):
    responses = attempt_responses(attempt=attempt)
    return [r.question.title for r in responses], {r.question_id: [o.text for o in r.question.display_options] for r in responses}


def test_each_attempt_has_its_own_order_fixed_by_its_seed():
    assessment = assessment_with(*[choice(i) for i in range(8)], shuffle_questions=True, shuffle_options=True, is_public=True)
    first, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    second, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    assert orders(first) == orders(first)  # a reload shows the same order
    assert orders(first) != orders(second)  # (8! x 5!^8 orders: equal only by a miracle)
    assert sorted(orders(first)[0]) == sorted(f"Q{i}" for i in range(8))


def test_without_shuffling_the_assessment_order_holds():
    questions = [choice(i) for i in range(4)]
    assessment = assessment_with(*questions)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    titles, options = orders(attempt)
    assert titles == ["Q0", "Q1", "Q2", "Q3"]
    assert all(texts == [f"option {j}" for j in range(5)] for texts in options.values())


def test_a_draw_picks_n_published_questions_from_the_filtered_pool_by_seed():
    from assessments.models import AssessmentDraw
    from assessments.selectors import assessment_questions
    from common.exceptions import Conflict
    from tests.assessments.factories import SkillFactory

    skill = SkillFactory(slug="machine-learning", name="Machine learning")
    pool = [choice(i) for i in range(10)]
    for question in pool[:8]:
        question.skills.add(skill)
    Question.objects.filter(pk=pool[0].pk).update(status="draft")  # never drawn
    fixed = choice(99)
    assessment = assessment_with(fixed)
    AssessmentDraw.objects.create(assessment=assessment, count=3, skill=skill)

    drawn = assessment_questions(assessment=assessment, seed=7)
    assert drawn[0] == fixed and len(drawn) == 4
    assert {q.id for q in drawn[1:]} <= {q.id for q in pool[1:8]}
    assert assessment_questions(assessment=assessment, seed=7) == drawn  # reproducible from the seed
    assert any(assessment_questions(assessment=assessment, seed=s) != drawn for s in range(20))

    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    assert attempt.responses.count() == 4 and attempt.max_score == sum(q.points for q in drawn)

    AssessmentDraw.objects.create(assessment=assessment, count=10, skill=skill)
    with pytest.raises(Conflict, match="pool is too small"):
        assessment_questions(assessment=assessment, seed=1)
