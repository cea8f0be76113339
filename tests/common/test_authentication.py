"""API token authentication: DRF's behaviour, read with one precompiled statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate():
    return User.objects.create_user("ana", "ana@example.com", "pw-for-tests", first_name="Ana")


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_valid_token_signs_its_user_in_with_one_query(candidate):
    token = Token.objects.create(user=candidate)

    with CaptureQueriesContext(connection) as queries:
        response = client_with(token.key).get("/api/me/readiness/")

    assert response.status_code == 200
    assert "authtoken_token" in queries.captured_queries[0]["sql"]
    assert sum("authtoken_token" in q["sql"] for q in queries.captured_queries) == 1


def test_the_signed_in_user_is_the_whole_user(candidate):
    from common.authentication import TokenAuthentication

    token = Token.objects.create(user=candidate)

    user, auth = TokenAuthentication().authenticate_credentials(token.key)

    assert (user.pk, user.username, user.first_name, user.email, user.is_active) == (
        candidate.pk, "ana", "Ana", "ana@example.com", True)
    assert user.check_password("pw-for-tests")
    assert auth.key == token.key and auth.user_id == candidate.pk


@pytest.mark.parametrize("key", ["0" * 40, "not-a-token", "x'OR'1'='1", ""])
def test_an_unknown_token_is_refused(candidate, key):
    Token.objects.create(user=candidate)

    response = client_with(key).get("/api/me/readiness/")

    assert response.status_code == 401
    assert response.json()["message"] in ("Invalid token.", "Invalid token header. No credentials provided.")


def test_the_token_of_a_deactivated_user_is_refused(candidate):
    token = Token.objects.create(user=candidate)
    User.objects.filter(pk=candidate.pk).update(is_active=False)

    response = client_with(token.key).get("/api/me/readiness/")

    assert response.status_code == 401
    assert response.json()["message"] == "User inactive or deleted."


def test_a_deleted_token_stops_working_at_once(candidate):
    token = Token.objects.create(user=candidate)
    assert client_with(token.key).get("/api/me/readiness/").status_code == 200

    token.delete()

    assert client_with(token.key).get("/api/me/readiness/").status_code == 401
