"""A candidate takes the demo assessment through the HTTP API alone: a real Redis, a real
Celery worker process and the real sandbox grade the code (no eager mode)."""

from datetime import timedelta

import pytest

from accounts.models import User
from assessments.models import Attempt, CodeSpec, Invitation, Question
from assessments.services.demo import bank_load
from tests.assessments.factories import SQUARE_SOLUTION, assessment_with, code_question, invite, numeric_question
from tests.e2e.helpers import poll_report, poll_submission, token_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WRONG_GROUP_SUMMARY = "def group_summary(rows, key, value):\n    return []\n"


def correct_answer(question: Question) -> dict:
    if question.kind == Question.Kind.SINGLE_CHOICE:
        return {"choice": str(question.options.get(is_correct=True).id)}
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        return {"choices": [o.id for o in question.options.filter(is_correct=True)]}
    if question.kind == Question.Kind.NUMERIC:
        return {"value": question.numeric.answer}
    return {"language": "python", "source": CodeSpec.objects.get(question=question).reference_solution}


def test_a_candidate_takes_the_demo_assessment_end_to_end(celery_worker):
    assessment = bank_load()
    candidate = User.objects.create_user("e2e-candidate", password="a-long-e2e-password")
    Invitation.objects.create(assessment=assessment, candidate=candidate)
    client = token_client("e2e-candidate", "a-long-e2e-password")

    listed = client.get("/api/assessments/").json()
    assert [a["id"] for a in listed] == [assessment.id]

    started = client.post(f"/api/assessments/{assessment.id}/attempts/")
    assert started.status_code == 201
    attempt = started.json()
    questions = {q.id: q for q in assessment.questions.select_related("numeric", "code")}
    wrong = next(q for q in questions.values() if q.slug == "group-summary")

    # Autosave every answer: right everywhere but one code question.
    for payload in attempt["questions"]:
        question = questions[payload["id"]]
        answer = {"language": "python", "source": WRONG_GROUP_SUMMARY} if question == wrong else correct_answer(question)
        saved = client.put(f"/api/attempts/{attempt['id']}/responses/{question.id}/", answer, format="json")
        assert saved.status_code == 200, saved.content

    code_questions = [q for q in questions.values() if q.kind == Question.Kind.CODE]
    right = next(q for q in code_questions if q != wrong)

    # Run: sample tests only, with their details.
    run = client.post(f"/api/attempts/{attempt['id']}/responses/{right.id}/runs/", correct_answer(right), format="json")
    assert run.status_code == 202 and run.json()["status"] == "queued"
    run = poll_submission(client, run.json()["id"])
    assert run["verdict"] == "AC" and run["score"] == 1.0
    assert run["result"]["tests"] and all(not t["hidden"] and t["passed"] for t in run["result"]["tests"])

    # Submit a correct and a wrong answer: AC and WA, hidden tests as pass/fail only.
    ok = poll_submission(client, client.post(
        f"/api/attempts/{attempt['id']}/responses/{right.id}/submissions/", correct_answer(right), format="json"
    ).json()["id"])
    assert ok["verdict"] == "AC"
    assert any(t["hidden"] for t in ok["result"]["tests"])
    assert all(set(t) == {"name", "hidden", "passed"} for t in ok["result"]["tests"] if t["hidden"])
    bad = poll_submission(client, client.post(
        f"/api/attempts/{attempt['id']}/responses/{wrong.id}/submissions/",
        {"language": "python", "source": WRONG_GROUP_SUMMARY}, format="json",
    ).json()["id"])
    assert bad["verdict"] == "WA" and bad["score"] < 1

    finished = client.post(f"/api/attempts/{attempt['id']}/submit/")
    assert finished.status_code == 200 and finished.json()["state"] in ("submitted", "graded")
    report = poll_report(client, attempt["id"])

    total = sum(q.points for q in questions.values())
    expected = total - wrong.points * (1 - bad["score"])
    assert report["max_score"] == total
    assert report["score"] == pytest.approx(expected)
    assert report["passed"] is True and report["percent"] == round(100 * expected / total, 1)
    by_question = {q["question_id"]: q for q in report["questions"]}
    assert by_question[wrong.id]["status"] in ("partial", "incorrect")
    assert by_question[right.id]["status"] == "correct"
    assert {s["skill"] for s in report["skills"]} >= {"statistical-analysis", "programming", "machine-learning"}

    # After submission nothing changes any more.
    late = client.put(f"/api/attempts/{attempt['id']}/responses/{right.id}/", {"source": "x"}, format="json")
    assert late.status_code == 409


def test_an_attempt_left_open_is_submitted_and_graded_at_its_deadline(celery_worker, wait_for):
    numeric, code = numeric_question(answer=0.05, abs_tol=0.001), code_question()
    assessment = assessment_with(numeric, code, time_limit=timedelta(seconds=3))
    candidate = invite(assessment).candidate
    client = token_client(candidate.username, "pw-for-tests")
    attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()
    base = f"/api/attempts/{attempt['id']}/responses/"
    assert client.put(f"{base}{numeric.id}/", {"value": 0.0502}, format="json").status_code == 200
    assert client.put(f"{base}{code.id}/", {"source": SQUARE_SOLUTION}, format="json").status_code == 200

    graded = wait_for(
        lambda: Attempt.objects.filter(pk=attempt["id"], state=Attempt.State.GRADED).first(),
        timeout=45, message="the deadline task to submit and grade the attempt",
    )
    assert graded.submitted_by == Attempt.SubmittedBy.DEADLINE
    assert graded.score == numeric.points + code.points  # the saved code was graded after the deadline

    late = client.put(f"{base}{numeric.id}/", {"value": 1}, format="json")
    assert late.status_code == 409
    assert client.get(f"/api/attempts/{attempt['id']}/").json()["answers"][str(numeric.id)] == {"value": 0.0502}
