"""Parameterized questions as candidates meet them: one variant per attempt, fixed by the seed,
its numbers in the text, its datasets downloadable, and its own answer key."""

import pytest
from rest_framework.test import APIClient

from assessments.models import Attempt, Question, Response
from assessments.services import attempt_start, attempt_submit, response_save
from assessments.services.variants import variants_store
from assessments.variants import dataset_preview, render, variant_choose
from common.exceptions import ApplicationError, Conflict
from tests.accounts.factories import UserFactory
from tests.assessments.factories import (
    assessment_with,
    data_analysis_question,
    invite,
    numeric_question,
    single_choice_question,
    variants_of,
)

pytestmark = pytest.mark.django_db

CSV = "group,value\nA,1.0\nB,3.0\n"


def analysis_with_variants(count=20):
    question = data_analysis_question()
    variants_of(question, [
        {"params": {"n": 100 + i}, "answers": {"mean_diff": float(i)}, "datasets": {"ab.csv": CSV}} for i in range(count)
    ])
    return question


def start(assessment, candidate=None):
    candidate = candidate or invite(assessment).candidate
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    return attempt


def test_the_variant_is_fixed_by_the_seed_and_a_retake_brings_an_unseen_one():
    question = analysis_with_variants()
    first = variant_choose(question=question, seed=1234)
    assert variant_choose(question=question, seed=1234) == first
    assert variant_choose(question=question, seed=1234, seen={first.index}) != first
    every = set(range(20))
    assert variant_choose(question=question, seed=1234, seen=every).index in every  # all seen: any one


def test_two_candidates_get_their_own_numbers_and_are_each_graded_against_them():
    question = analysis_with_variants()
    assessment = assessment_with(question)
    attempts = []
    for _ in range(8):
        attempts.append(start(assessment))
    variants = {Response.objects.get(attempt=a).variant.index for a in attempts}
    assert len(variants) > 1
    for attempt in attempts:
        variant = Response.objects.get(attempt=attempt).variant
        response_save(attempt_id=attempt.id, question_id=question.id,
                      answer={"parts": {"mean_diff": str(variant.answers["answers"]["mean_diff"] + 0.005)}})
        graded = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
        assert graded.score == question.points


def test_someone_elses_numbers_are_wrong():
    question = analysis_with_variants()
    attempt = start(assessment_with(question))
    mine = Response.objects.get(attempt=attempt).variant.answers["answers"]["mean_diff"]
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"parts": {"mean_diff": mine + 1}})
    assert attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE).score == 0


def test_a_part_in_the_wrong_format_is_refused_and_costs_nothing():
    question = analysis_with_variants()
    attempt = start(assessment_with(question))
    with pytest.raises(ApplicationError) as refused:
        response_save(attempt_id=attempt.id, question_id=question.id, answer={"parts": {"mean_diff": "about two"}})
    assert refused.value.extra == {"field": "mean_diff", "value": "about two"}
    with pytest.raises(ApplicationError):
        response_save(attempt_id=attempt.id, question_id=question.id, answer={"parts": {"p_value": 0.1}})
    assert Response.objects.get(attempt=attempt).answer == {}


def test_a_parameterized_question_without_variants_cannot_be_started():
    question = data_analysis_question()
    with pytest.raises(Conflict):
        start(assessment_with(question))


def test_the_api_shows_the_variants_text_parts_and_dataset_and_serves_the_csv():
    question = analysis_with_variants()
    assessment = assessment_with(question)
    attempt = start(assessment)
    variant = Response.objects.get(attempt=attempt).variant
    client = APIClient()
    client.force_authenticate(attempt.candidate)

    shown = client.get(f"/api/attempts/{attempt.id}/").json()["questions"][0]

    assert shown["prompt"] == f"Each group has {variant.params['n']} users. Mean of B minus A?"
    assert shown["parts"] == [{"key": "mean_diff", "label": "Mean difference (B - A)", "unit": ""}]
    assert shown["datasets"] == [{"name": "ab.csv", "columns": ["group", "value"], "rows": [["A", "1.0"], ["B", "3.0"]],
                                  "row_count": 2}]
    assert "mean_diff\": " not in str(shown) and "answers" not in shown
    download = client.get(f"/api/attempts/{attempt.id}/responses/{question.id}/datasets/ab.csv")
    assert download.status_code == 200 and download.content.decode() == CSV
    assert download["Content-Disposition"] == 'attachment; filename="ab.csv"'
    assert client.get(f"/api/attempts/{attempt.id}/responses/{question.id}/datasets/other.csv").status_code == 404
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    assert stranger.get(f"/api/attempts/{attempt.id}/responses/{question.id}/datasets/ab.csv").status_code == 404


def test_a_variant_can_name_the_correct_option_and_fill_in_the_options():
    question = single_choice_question(prompt="Is {{x}} bigger than {{y}}?")
    question.options.filter(text="Right").update(text="Yes, {{x}} > {{y}}")
    question.generator = "def generate(rng): ..."
    question.save()
    variants_of(question, [{"params": {"x": 3, "y": 2}, "correct": [0]}] * 10 + [{"params": {"x": 1, "y": 2}, "correct": [1]}] * 10)
    assessment = assessment_with(question)
    for _ in range(6):
        attempt = start(assessment)
        response = Response.objects.get(attempt=attempt)
        options = list(question.options.order_by("order"))
        right = options[response.variant.answers["correct"][0]]
        response_save(attempt_id=attempt.id, question_id=question.id, answer={"choice": right.id})
        assert attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE).score == question.points


def test_a_parameterized_numeric_question_is_graded_against_its_variant():
    question = numeric_question(answer=None, abs_tol=0.01, prompt="What is {{a}} + {{b}}?")
    question.generator = "def generate(rng): ..."
    question.save()
    variants_of(question, [{"params": {"a": i, "b": 0.5}, "answer": i + 0.5} for i in range(20)])
    attempt = start(assessment_with(question))
    variant = Response.objects.get(attempt=attempt).variant
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": variant.answers["answer"]})
    assert attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE).score == question.points


def test_storing_variants_refuses_a_run_with_any_bad_seed_and_keeps_nothing():
    question = data_analysis_question()
    good = {"ok": True, "params": {"n": 5}, "answers": {"mean_diff": 1.5}, "datasets": {"ab.csv": CSV}}
    cases = [
        ({"error": "the generator ran out of time after seed 7", "variants": []}, "ran out of time"),
        ({"variants": [{**good, "seed": i} for i in range(5)]}, "at least 20"),
        ({"variants": [{**good, "seed": i} for i in range(19)] + [{"seed": 19, "ok": False, "error": "ZeroDivisionError"}]},
         "seed 19: ZeroDivisionError"),
        ({"variants": [{**good, "seed": i, "params": {}} for i in range(20)]}, "{{n}} is used in the text"),
        ({"variants": [{**good, "seed": i, "answers": {}} for i in range(20)]}, "answers['mean_diff']"),
        ({"variants": [{**good, "seed": i, "datasets": {}} for i in range(20)]}, "needs at least one dataset"),
    ]
    for generated, reason in cases:
        ok, detail = variants_store(question=question, generated=generated)
        assert not ok and reason in detail, detail
    assert question.variants.count() == 0
    ok, detail = variants_store(question=question, generated={"variants": [{**good, "seed": i} for i in range(20)]})
    assert ok and detail == "20 variants generated (1 distinct)"


def test_parameters_are_shown_as_readable_numbers():
    assert render("n={{ n }}, p={{p}}, big={{big}}, {{missing}}", {"n": 120.0, "p": 0.1 + 0.2, "big": 1e20}) == \
        "n=120, p=0.3, big=1e+20, {{missing}}"


def test_a_dataset_preview_has_the_header_the_first_rows_and_the_count():
    text = "x,y\n" + "".join(f"{i},{i * i}\n" for i in range(50))
    preview = dataset_preview(text, rows=3)
    assert preview == {"columns": ["x", "y"], "rows": [["0", "0"], ["1", "1"], ["2", "4"]], "row_count": 50}


def test_a_question_shown_as_a_variant_cannot_be_saved_by_mistake():
    question = analysis_with_variants()
    attempt = start(assessment_with(question))
    from assessments.selectors import attempt_responses

    shown = attempt_responses(attempt=attempt)[0].question
    with pytest.raises(RuntimeError):
        shown.save()
    assert Question.objects.get(pk=question.pk).prompt.startswith("Each group has {{n}}")


def test_explanations_show_after_grading_with_the_candidates_own_numbers_when_the_assessment_allows():
    question = analysis_with_variants()
    Question.objects.filter(pk=question.pk).update(explanation="With n = {{n}} per group, subtract the means.")
    quiet, open_book = assessment_with(question), assessment_with(question, show_explanations=True)
    for assessment, shown in ((quiet, False), (open_book, True)):
        attempt = start(assessment)
        client = APIClient()
        client.force_authenticate(attempt.candidate)
        attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
        item = client.get(f"/api/attempts/{attempt.id}/report/").json()["questions"][0]
        n = Response.objects.get(attempt=attempt).variant.params["n"]
        assert item.get("explanation") == (f"With n = {n} per group, subtract the means." if shown else None)
        page = APIClient()
        page.force_login(attempt.candidate)
        html = page.get(f"/attempts/{attempt.id}/results/").content.decode()
        assert (f"With n = {n} per group" in html) is shown
