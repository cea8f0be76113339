"""Property-based checks of the whole API against its own OpenAPI document (schemathesis).

For every operation the schema lists, schemathesis generates requests — valid ones, and invalid
ones — and each response must be no server error, have a documented status code and content
type, and have a body that matches the documented schema. It runs as a candidate and again as a
reviewer, signed in with a token, against a world of real objects (the permission matrix's): a
path argument is either generated or one of the real ids, so both the 404 paths and the real
objects' responses are checked. Every call is rolled back, so each example meets the same world."""

from __future__ import annotations

import logging
import os
import traceback

import hypothesis.strategies as st
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.prep.test_permission_matrix import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation, generation mode and actor: ~40 operations × 2 modes × 2 actors in about a minute.
# PREP_FUZZ_EXAMPLES=200 digs deeper (minutes).
EXAMPLES = int(os.environ.get("PREP_FUZZ_EXAMPLES", "8"))
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


# Gaps outside this suite's reach (their fixes lie in files it does not change), each asserted by
# an xfail test below so that fixing it shows up (none left).
KNOWN_UNDOCUMENTED: set[str] = set()


def routed(path: str) -> bool:
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


class _ServerErrors(logging.Handler):
    """Django logs an unhandled exception on django.request: keep its traceback for the report."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.tracebacks: list[str] = []

    def emit(self, record):
        if record.exc_info:
            self.tracebacks.append("".join(traceback.format_exception(*record.exc_info))[-3000:])


@pytest.fixture(scope="module")
def fuzz_env(django_db_setup, django_db_blocker):
    """The schema, and a world of real objects with a token for each signed-in actor.

    The real WSGI handler runs inside the module's transaction: like Django's test client, keep it
    from closing the connection at the start and end of each request (close_old_connections
    would, since autocommit is off inside a transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            assert "test" in str(connection.settings_dict["NAME"]), connection.settings_dict["NAME"]
            schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
            w = build_world()
            w.tokens = {actor: Token.objects.create(user=w.users[actor]).key for actor in ("candidate_a", "reviewer")}
            yield schema, w
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def real_ids(w) -> dict:
    """Ids of real objects for each path argument: candidate A's and candidate B's."""
    return {
        "assessment_id": [w.assessment_open.id, w.assessment_done.id],
        "attempt_id": [w.open_a.id, w.done_a.id, w.practice_a.id, w.open_b.id, w.done_b.id],
        "question_id": [w.q_choice.id, w.q_numeric.id, w.q_code.id, w.q_data.id, w.q_practice.id],
        "submission_id": [w.sub_a.id, w.sub_b.id],
        "application_id": [w.app_a.id, w.app_b.id],
        "role_id": [w.role.id],
        "stage_slug": ["screening-call", "technical-assessment"],
        "invitation_id": [w.refs["invitation_id"]],
        "response_id": [w.refs["response_id"], w.refs_b["response_id"]],
        "name": ["ab.csv"],
    }


def fuzz(schema, w, actor: str) -> list[str]:
    headers = {"Authorization": f"Token {w.tokens[actor]}"}
    ids = real_ids(w)
    problems: list[str] = []
    errors = _ServerErrors()
    logging.getLogger("django.request").addHandler(errors)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in MODES:
                failures: dict[str, str] = {}

                @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck), phases=["explicit", "generate"])
                def run(case, data):
                    for name in list(case.path_parameters or {}):
                        if name in ids and data.draw(st.booleans(), label=f"real {name}"):
                            case.path_parameters[name] = data.draw(st.sampled_from(ids[name]), label=name)
                    errors.tracebacks.clear()
                    with transaction.atomic():
                        response = case.call(headers=headers)
                        transaction.set_rollback(True)
                    checks = CHECKS
                    if response.status_code == 404 and not routed(case.formatted_path):
                        # No route matched (an id that is not a whole number): Django's HTML 404 page.
                        # A known gap, asserted on its own below; here only "no server error" applies.
                        checks = [not_a_server_error]
                    elif operation.label in KNOWN_UNDOCUMENTED:
                        checks = [c for c in CHECKS if c is not status_code_conformance]
                    try:
                        case.validate_response(response, checks=checks, headers=headers)
                    except FailureGroup as group:
                        for failure in group.exceptions:
                            key = f"{failure.title}: {failure.message}"[:300]
                            failures.setdefault(key, f"{case.method} {case.formatted_path} "
                                                     f"{case.body if case.body is not None else ''!r:.200} -> "
                                                     f"{response.status_code} {response.text[:300]!r}"
                                                     + ("\n" + errors.tracebacks[-1] if errors.tracebacks else ""))

                try:
                    run()
                except Unsatisfiable:
                    # Nothing to make invalid: no parameters and no body (e.g. GET /api/assessments/).
                    assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
                problems += [f"[{actor}, {mode.value}] {operation.label}: {key}\n    e.g. {example}"
                             for key, example in failures.items()]
    finally:
        logging.getLogger("django.request").removeHandler(errors)
    return problems


@pytest.mark.parametrize("actor", ["candidate_a", "reviewer"])
def test_every_operation_answers_as_documented(fuzz_env, actor):
    schema, world = fuzz_env
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 40  # the whole API, not a part of it
    problems = fuzz(schema, world, actor)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_an_api_path_that_matches_no_route_answers_with_the_error_shape(fuzz_env):
    response = APIClient().get("/api/attempts/-1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"message", "extra"}


def test_the_token_endpoint_documents_its_refusals(fuzz_env):
    schema, _ = fuzz_env
    responses = schema.raw_schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert {"400", "429"} <= set(responses)


def test_a_form_body_with_too_many_fields_is_refused_in_the_error_shape(fuzz_env):
    """Found by the fuzzer: Django refuses a form of over 1,000 fields (TooManyFieldsSent), which
    reached the client as Django's HTML 400 page."""
    _, w = fuzz_env
    client = APIClient()
    client.force_authenticate(w.reviewer)
    body = "&".join(f"ids={i}" for i in range(1001)) + "&stage=screening-call"
    response = client.post("/api/staff/applications/move/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
