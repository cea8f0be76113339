"""The question bank's loop end to end, with a real worker and sandbox: an author publishes a
parameterized data-analysis item (its generator runs in the sandbox), candidates each get their
own dataset and are graded against their own numbers, and a corrected code question is regraded
with a diff that staff accept."""

import csv
import io

import pytest
from django.test import Client

from assessments.models import Attempt, CodeTest, Question, Regrade, Response
from assessments.services.versions import question_snapshot, question_version_commit
from tests.accounts.factories import UserFactory
from tests.assessments.factories import assessment_with, code_question, data_analysis_question, invite
from tests.e2e.helpers import poll_report, token_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def admin_action(client, model, action, ids):
    response = client.post(f"/admin/assessments/{model}/", {"action": action, "_selected_action": ids})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def mean_difference(csv_text):
    values = {"A": [], "B": []}
    for row in csv.DictReader(io.StringIO(csv_text)):
        values[row["group"]].append(float(row["value"]))
    return sum(values["B"]) / len(values["B"]) - sum(values["A"]) / len(values["A"])


def test_candidates_each_analyse_their_own_dataset_and_are_graded_on_it(celery_worker, admin_client, wait_for):
    question = data_analysis_question(status=Question.Status.DRAFT)
    admin_action(admin_client, "question", "publish", [question.id])
    wait_for(lambda: Question.objects.get(pk=question.id).status == Question.Status.PUBLISHED, timeout=90,
             message="the worker to validate and publish the question")
    question.refresh_from_db()
    assert question.check_ok and question.variants.count() == 30, question.check_detail

    assessment = assessment_with(question)
    seen = {}
    for _ in range(4):
        candidate = invite(assessment).candidate
        client = token_client(candidate.username, "pw-for-tests")
        attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()
        shown = attempt["questions"][0]
        data = client.get(f"/api/attempts/{attempt['id']}/responses/{question.id}/datasets/ab.csv").content.decode()
        seen[attempt["id"]] = (client, shown["prompt"], round(mean_difference(data), 4))
    assert len({prompt for _, prompt, _ in seen.values()}) > 1  # different numbers for different candidates

    (first_id, (first, _, first_answer)), (second_id, (second, _, second_answer)) = list(seen.items())[:2]
    first.put(f"/api/attempts/{first_id}/responses/{question.id}/", {"parts": {"mean_diff": first_answer}}, format="json")
    # Wrong whatever the second candidate's numbers and the tolerance (0.5 off could fall inside it).
    wrong = round(second_answer + 10 * (abs(second_answer) + 1), 4)
    second.put(f"/api/attempts/{second_id}/responses/{question.id}/", {"parts": {"mean_diff": wrong}}, format="json")
    for client, attempt_id in ((first, first_id), (second, second_id)):
        assert client.post(f"/api/attempts/{attempt_id}/submit/").status_code == 200
    assert poll_report(first, first_id)["score"] == question.points
    assert poll_report(second, second_id)["score"] == 0


def test_a_corrected_code_question_is_regraded_with_a_diff_staff_accept(celery_worker, admin_client, wait_for):
    question = code_question()
    assessment = assessment_with(question)
    candidate = invite(assessment).candidate
    client = token_client(candidate.username, "pw-for-tests")
    attempt_id = client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]
    wrong_on_negatives = "def square(x):\n    return x * abs(x)\n"
    client.put(f"/api/attempts/{attempt_id}/responses/{question.id}/", {"source": wrong_on_negatives}, format="json")
    client.post(f"/api/attempts/{attempt_id}/submit/")
    before = poll_report(client, attempt_id)["score"]
    assert 0 < before < question.points

    # The author decides negative inputs are out of scope: the test goes, and a version is made.
    snapshot = question_snapshot(question)
    CodeTest.objects.filter(question=question, name="negative").delete()
    question_version_commit(question=question, before=snapshot)
    assert Attempt.objects.get(pk=attempt_id).score == before  # nothing changes by itself

    admin_action(admin_client, "question", "regrade", [question.id])
    regrade = Regrade.objects.get(question=question)
    wait_for(lambda: Regrade.objects.get(pk=regrade.pk).state == Regrade.State.READY, timeout=90,
             message="the worker to judge the submission again")
    item = regrade.items.get()
    assert (item.old_score, item.new_score) == (before, question.points)
    assert item.result["verdict"] == "AC"
    page = admin_client.get(f"/admin/assessments/regrade/{regrade.pk}/change/")
    assert b"1 response(s): 1 up, 0 down, 0 unchanged" in page.content

    admin_action(admin_client, "regrade", "accept", [regrade.pk])

    assert Attempt.objects.get(pk=attempt_id).score == question.points
    assert Response.objects.get(attempt_id=attempt_id).question == question
    assert client.get(f"/api/attempts/{attempt_id}/report/").json()["score"] == question.points
