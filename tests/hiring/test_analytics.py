"""Reports read as a recruiter and a question author would check them by hand: a small pipeline's
funnel, a handful of attempts' item statistics, and a score histogram."""

from datetime import datetime, timedelta, timezone

import pytest

from assessments.models import Attempt, Question, Response
from hiring.analytics import item_statistics, role_funnel, score_distribution
from hiring.models import Application, StageTransition
from hiring.services import role_create
from tests.accounts.factories import UserFactory
from tests.assessments.factories import QuestionFactory, assessment_with

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=30)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def applicant(role, *moves):
    """An application with its audit trail: moves are (day, stage slug) or (day, closing state);
    the first is the day they applied (to the first stage)."""
    stages = {s.slug: s for s in role.stages.all()}
    first = role.stages.order_by("order").first()
    application = Application.objects.create(role=role, candidate=UserFactory(), stage=first)
    stage, state = first, Application.State.ACTIVE
    trail = [(moves[0][0], None, first, "", state)]
    for when, target in moves[1:]:
        if target in stages:
            trail.append((when, stage, stages[target], state, state))
            stage = stages[target]
        else:
            trail.append((when, stage, stage, state, target))
            state = target
    for when, from_stage, to_stage, from_state, to_state in trail:
        row = StageTransition.objects.create(application=application, from_stage=from_stage, to_stage=to_stage,
                                             from_state=from_state, to_state=to_state)
        StageTransition.objects.filter(pk=row.pk).update(created_at=day(when))
    Application.objects.filter(pk=application.pk).update(stage=stage, state=state)
    return application


@pytest.fixture
def role():
    return role_create(slug="analyst", title="Data Analyst")


@pytest.fixture
def pipeline(role):
    applicant(role, (0, None), (2, "screening-call"), (6, "technical-assessment"))  # still there: 24 days
    applicant(role, (0, None), (4, "screening-call"), (5, "rejected"))
    applicant(role, (1, None))  # still waiting at the first stage: 29 days
    applicant(role, (0, None), (1, "screening-call"), (3, "technical-assessment"), (10, "on-site-interviews"),
              (12, "final-discussion"), (14, "hired"))
    applicant(role, (2, None), (3, "withdrawn"))
    return role


def test_the_funnel_counts_who_is_at_each_stage_now_and_who_ever_reached_it(pipeline):
    funnel = role_funnel(role=pipeline, now=NOW)

    stages = funnel["stages"]
    assert [s["slug"] for s in stages] == ["application", "screening-call", "technical-assessment",
                                           "on-site-interviews", "final-discussion"]
    assert [s["current"] for s in stages] == [1, 0, 1, 0, 0]
    assert [s["reached"] for s in stages] == [5, 3, 2, 1, 1]
    assert [s["conversion"] for s in stages] == [None, 0.6, 0.6667, 0.5, 1.0]
    assert funnel["totals"] == {"applications": 5, "active": 2, "hired": 1, "rejected": 1, "withdrawn": 1}


def test_time_in_stage_runs_from_entering_to_leaving_and_until_now_for_active_candidates(pipeline):
    stages = {s["slug"]: s for s in role_funnel(role=pipeline, now=NOW)["stages"]}

    # application: 2, 4, 29 (still there), 1 and 1 days
    assert (stages["application"]["median_days_in_stage"], stages["application"]["mean_days_in_stage"]) == (2.0, 7.4)
    assert stages["application"]["timed"] == 5
    # screening call: 4, 1 (then rejected) and 2 days
    assert (stages["screening-call"]["median_days_in_stage"], stages["screening-call"]["mean_days_in_stage"]) == (2.0, 2.33)
    # technical assessment: 24 days and counting, and 7
    assert stages["technical-assessment"]["median_days_in_stage"] == 15.5
    assert stages["final-discussion"]["mean_days_in_stage"] == 2.0


def test_a_candidate_sent_back_to_a_stage_has_both_visits_added_up(role):
    applicant(role, (0, None), (1, "screening-call"), (3, "technical-assessment"), (4, "screening-call"),
              (9, "rejected"))

    stages = {s["slug"]: s for s in role_funnel(role=role, now=NOW)["stages"]}

    assert stages["screening-call"]["median_days_in_stage"] == 7.0  # 2 days, then 5 more
    assert stages["screening-call"]["timed"] == 1
    assert stages["technical-assessment"]["reached"] == 1 and stages["technical-assessment"]["current"] == 0


def test_an_empty_role_has_a_funnel_of_zeros(role):
    funnel = role_funnel(role=role, now=NOW)

    assert [s["reached"] for s in funnel["stages"]] == [0] * 5
    assert funnel["stages"][1]["conversion"] is None and funnel["stages"][0]["median_days_in_stage"] is None
    assert funnel["totals"]["applications"] == 0


def test_the_funnel_costs_the_same_few_queries_for_one_candidate_or_many(role, django_assert_num_queries):
    applicant(role, (0, None), (2, "screening-call"))
    with django_assert_num_queries(3):
        role_funnel(role=role, now=NOW)
    for _ in range(10):
        applicant(role, (0, None), (1, "screening-call"), (2, "rejected"))
    with django_assert_num_queries(3):
        role_funnel(role=role, now=NOW)


# --- items -------------------------------------------------------------------------------


def graded_attempt(assessment, scores: dict, *, times: dict | None = None) -> Attempt:
    """A graded attempt with one response per question: {question: score}."""
    attempt = Attempt.objects.create(
        candidate=UserFactory(), assessment=assessment, state=Attempt.State.GRADED, seed=1, started_at=T0,
        deadline=T0 + timedelta(minutes=30), submitted_at=T0 + timedelta(minutes=20),
        score=sum(scores.values()), max_score=sum(q.points for q in scores),
    )
    for position, (question, score) in enumerate(scores.items()):
        response = Response(attempt=attempt, question=question, score=score, max_score=question.points,
                            position=position, graded_at=T0)
        if times and question in times:
            response.time_spent_s = times[question]
        response.save()
    return attempt


@pytest.fixture
def calibrated_items():
    """Six candidates of rising ability. `good` is right for the strong half, `bad` for the weak
    half, everyone gets `flat`, and `core` (4 points) rises with ability."""
    good, bad, flat = (QuestionFactory(points=1, title=t, difficulty=d)
                       for t, d in (("Good", "medium"), ("Bad", "hard"), ("Flat", "easy")))
    core = QuestionFactory(points=4, title="Core")
    assessment = assessment_with(good, bad, flat, core)
    old_good = QuestionFactory(points=1, title="Good (v1)", version_of=good, status=Question.Status.RETIRED)
    for i in range(6):
        strong = i >= 3
        graded_attempt(assessment, {old_good if i == 0 else good: 1.0 if strong else 0.0, bad: 0.0 if strong else 1.0,
                                    flat: 1.0, core: 0.8 * i},
                       times={good: 30 + 10 * i} if i else None)
    return assessment, good, bad, flat, core


def test_item_statistics_give_each_question_its_facility_and_discrimination(calibrated_items):
    assessment, good, bad, flat, core = calibrated_items

    report = item_statistics(assessment=assessment)

    items = {i["question_id"]: i for i in report["items"]}
    assert [i["question_id"] for i in report["items"]] == [good.id, bad.id, flat.id, core.id]
    assert report["attempts"] == 6
    assert items[good.id]["responses"] == 6  # the past version's answer counts with the live question
    assert [items[q.id]["mean_score"] for q in (good, bad, flat, core)] == [0.5, 0.5, 1.0, 0.5]
    assert items[good.id]["discrimination"] > 0.5
    assert items[bad.id]["discrimination"] < -0.5
    assert items[flat.id]["discrimination"] is None  # everyone scored alike
    assert (items[good.id]["title"], items[good.id]["kind"], items[good.id]["difficulty"], items[good.id]["exposure"]) == (
        "Good", "single_choice", "medium", 6)


def test_time_spent_is_averaged_over_responses_whose_time_was_reported(calibrated_items):
    assessment, good, bad, *_ = calibrated_items

    items = {i["question_id"]: i for i in item_statistics(assessment=assessment)["items"]}

    assert items[good.id]["mean_time_s"] == 60.0  # 40, 50, 60, 70, 80 (the first attempt did not report)
    assert items[bad.id]["mean_time_s"] is None


def test_discrimination_waits_for_five_attempts(calibrated_items):
    _, good, bad, flat, core = calibrated_items
    small = assessment_with(good, core)
    for i in range(4):
        graded_attempt(small, {good: float(i % 2), core: float(i)})

    items = item_statistics(assessment=small)["items"]

    assert [i["responses"] for i in items] == [4, 4]
    assert [i["discrimination"] for i in items] == [None, None]


def test_unanswered_and_ungraded_attempts_do_not_count_in_item_statistics(calibrated_items):
    assessment, good, *_ = calibrated_items
    Attempt.objects.create(candidate=UserFactory(), assessment=assessment, seed=1, started_at=NOW,
                           deadline=NOW + timedelta(minutes=30), max_score=7)

    items = {i["question_id"]: i for i in item_statistics(assessment=assessment)["items"]}

    assert items[good.id]["responses"] == 6


# --- distribution ------------------------------------------------------------------------


def test_the_score_distribution_bins_percents_and_counts_who_passed():
    question = QuestionFactory(points=10)
    assessment = assessment_with(question, pass_mark_percent=60)
    for score in (0, 2.5, 5, 6, 10):
        graded_attempt(assessment, {question: score})
    Attempt.objects.create(candidate=UserFactory(), assessment=assessment, seed=1, started_at=NOW,
                           deadline=NOW + timedelta(minutes=30), max_score=10)  # in progress: not counted

    distribution = score_distribution(assessment=assessment, bins=4)

    assert [(b["from"], b["to"], b["count"]) for b in distribution["bins"]] == [
        (0.0, 25.0, 1), (25.0, 50.0, 1), (50.0, 75.0, 2), (75.0, 100.0, 1)]
    assert (distribution["count"], distribution["mean"], distribution["median"]) == (5, 47.0, 50.0)
    assert (distribution["passed"], distribution["pass_rate"], distribution["pass_mark_percent"]) == (2, 0.4, 60)


def test_an_assessment_nobody_took_has_an_empty_distribution():
    distribution = score_distribution(assessment=assessment_with(QuestionFactory()))

    assert distribution["count"] == 0 and distribution["mean"] is None and distribution["pass_rate"] is None
    assert len(distribution["bins"]) == 10 and sum(b["count"] for b in distribution["bins"]) == 0
