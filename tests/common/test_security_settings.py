"""Production settings, login throttling and rate limits on sandbox runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from assessments.models import Submission
from tests.accounts.factories import UserFactory
from tests.assessments.factories import assessment_with, code_question, invite

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    env = {**os.environ, "PREP_HTTPS": "true", "SECRET_KEY": "x" * 20 + "-production-secret-" + "y" * 30,
           "ALLOWED_HOSTS": "prep.example.com", "PREP_VAR_DIR": str(tmp_path), "DEBUG": "false"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_five_wrong_passwords_lock_the_token_endpoint_and_the_sign_in_page_for_that_user():
    user = UserFactory(username="dana")
    client = APIClient()
    for _ in range(4):
        assert client.post("/api/auth/token/", {"username": "dana", "password": "wrong"}, format="json").status_code == 400
    fifth = client.post("/api/auth/token/", {"username": "dana", "password": "wrong"}, format="json")
    assert fifth.status_code == 429 and "try again in 15 minutes" in fifth.json()["message"]
    locked = client.post("/api/auth/token/", {"username": "dana", "password": "pw-for-tests"}, format="json")
    assert locked.status_code == 429
    page = client.post("/accounts/login/", {"username": "dana", "password": "pw-for-tests"})
    assert page.status_code == 429
    assert APIClient().post("/api/auth/token/", {"username": user.username, "password": "pw-for-tests"},
                            format="json", REMOTE_ADDR="10.9.9.9").status_code == 200  # another address is not locked


def test_runs_are_limited_per_candidate():
    cache.clear()
    question = code_question()
    assessment = assessment_with(question)
    candidate = invite(assessment).candidate
    client = APIClient()
    client.force_authenticate(candidate)
    attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]
    url = f"/api/attempts/{attempt}/responses/{question.id}/runs/"
    answers = []
    for _ in range(31):
        answers.append(client.post(url, {"source": "def square(x):\n    return x * x\n"}, format="json"))
        Submission.objects.update(status=Submission.Status.DONE)  # graded at once: only the rate limit is left
    assert [a.status_code for a in answers] == [202] * 30 + [429]
    assert 0 < int(answers[30]["Retry-After"]) <= 60
    other = invite(assessment).candidate
    other_client = APIClient()
    other_client.force_authenticate(other)
    other_attempt = other_client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]
    assert other_client.post(f"/api/attempts/{other_attempt}/responses/{question.id}/runs/",
                             {"source": "x = 1"}, format="json").status_code == 202
