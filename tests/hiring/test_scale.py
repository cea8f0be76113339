"""At scale, the candidate list and the funnel cost the same few queries for 200 candidates as
for 2,000: nothing is fetched per row. (bench/hiring.py times them at 10,000 / 50,000.)"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from assessments.models import Attempt
from hiring.models import Application, Role, StageTransition
from tests.accounts.factories import StaffFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

SMALL, LARGE = 200, 2000
# The list: the role, the count, the page, its interviewers; the funnel: the role, the stages, the
# counts, the audit trail.
MAX_QUERIES = 5


@pytest.fixture
def loads():
    call_command("generate_hiring_load", applications=SMALL, attempts=SMALL * 5, role_slug="scale-small", verbosity=0)
    call_command("generate_hiring_load", applications=LARGE, attempts=LARGE * 5, role_slug="scale-large", verbosity=0)
    return Role.objects.get(slug="scale-small"), Role.objects.get(slug="scale-large")


@pytest.fixture
def reviewer() -> APIClient:
    user = StaffFactory()
    user.has_perm("hiring.view_application")  # the permission cache fills once, not per request: fill it now
    client = APIClient()
    client.force_authenticate(user)
    return client


def queries_for(client, url: str, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


QUERIES = ["limit=50", "limit=50&stage=technical-assessment&state=active", "limit=50&ordering=-score",
           "limit=200&offset=100&q=example"]


def test_the_candidate_list_costs_the_same_queries_for_ten_times_the_candidates(loads, reviewer,
                                                                                 django_assert_max_num_queries):
    small, large = loads

    for query in QUERIES:
        counts = [queries_for(reviewer, f"/api/staff/roles/{role.id}/applications/?{query}", django_assert_max_num_queries)
                  for role in (small, large)]
        assert counts[0] == counts[1], query
    assert reviewer.get(f"/api/staff/roles/{large.id}/applications/?limit=200").json()["count"] == LARGE


def test_the_funnel_costs_the_same_queries_for_ten_times_the_candidates(loads, reviewer, django_assert_max_num_queries):
    small, large = loads

    counts = [queries_for(reviewer, f"/api/staff/roles/{role.id}/funnel/", django_assert_max_num_queries)
              for role in (small, large)]

    assert counts[0] == counts[1]
    funnel = reviewer.get(f"/api/staff/roles/{large.id}/funnel/").json()
    assert funnel["totals"]["applications"] == LARGE
    assert all(funnel["totals"][state] > 0 for state in Application.State.values)  # a pipeline in every state
    assert all(stage["reached"] > 0 for stage in funnel["stages"])
    assert StageTransition.objects.filter(application__role=large).count() > LARGE


def test_generating_again_is_refused_unless_asked_to_replace():
    call_command("generate_hiring_load", applications=20, attempts=40, role_slug="again", verbosity=0)
    first = Role.objects.get(slug="again")

    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_hiring_load", applications=10, attempts=10, role_slug="again", verbosity=0)
    call_command("generate_hiring_load", applications=10, attempts=20, role_slug="again", replace=True, verbosity=0)

    assert Application.objects.filter(role__slug="again").count() == 10
    assert Attempt.objects.filter(assessment__slug="again-assessment").count() == 20
    assert not Role.objects.filter(pk=first.pk).exists()
