"""Report pages for the people who see every application. The tables are rendered here, so the
figures read without JavaScript and to screen readers; static/prep/charts.js draws the charts
beside them from the JSON API (hiring.apis_reports)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from assessments.models import Assessment, Question
from hiring.access import sees_every_application
from hiring.analytics import item_statistics, role_funnel, score_distribution
from hiring.models import Role


def _reader(request) -> None:
    if not sees_every_application(request.user):
        raise PermissionDenied("Reports are for people who see every application.")


@login_required
def reports_index(request):
    _reader(request)
    return render(request, "hiring/reports/index.html", {
        "roles": Role.objects.order_by("-is_open", "title"),
        "assessments": Assessment.objects.order_by("title"),
    })


@login_required
def role_report(request, role_id: int):
    _reader(request)
    role = get_object_or_404(Role, pk=role_id)
    return render(request, "hiring/reports/role.html", {
        "role": role,
        "funnel": role_funnel(role=role),
        "funnel_url": reverse("staff-role-funnel", args=[role.id]),
        "csv_url": reverse("staff-role-candidates-csv", args=[role.id]),
    })


@login_required
def assessment_report(request, assessment_id: int):
    _reader(request)
    assessment = get_object_or_404(Assessment, pk=assessment_id)
    items = item_statistics(assessment=assessment)
    kinds, difficulties = dict(Question.Kind.choices), dict(Question.Difficulty.choices)
    for item in items["items"]:
        item.update(kind_label=kinds.get(item["kind"], item["kind"]),
                    difficulty_label=difficulties.get(item["difficulty"], item["difficulty"]))
    return render(request, "hiring/reports/assessment.html", {
        "assessment": assessment,
        "distribution": score_distribution(assessment=assessment),
        "items": items,
        "distribution_url": reverse("staff-score-distribution", args=[assessment.id]),
        "items_url": reverse("staff-item-statistics", args=[assessment.id]),
        "csv_url": reverse("staff-assessment-results-csv", args=[assessment.id]),
    })
