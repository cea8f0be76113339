"""Report routes for the people who see every application (hiring.access): a role's funnel, an
assessment's item statistics and score distribution, and CSV exports streamed row by row.
Everyone else on the hiring team gets 403, like the staff routes they may not use."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from accounts.models import User
from assessments.apis import ERRORS
from assessments.models import Assessment
from common.exceptions import NotFound
from hiring.access import sees_every_application
from hiring.analytics import (
    assessment_result_skills,
    assessment_results_export,
    item_statistics,
    role_candidates_export,
    role_funnel,
    score_distribution,
)
from hiring.models import Role
from hiring.selectors_staff import roles_visible_to

MAX_BINS = 50


class SeesEveryApplication(IsAuthenticated):
    message = "Reports are for people who see every application."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and sees_every_application(request.user)


class ReportApi(APIView):
    permission_classes = [SeesEveryApplication]


def _role(user: User, role_id: int) -> Role:
    role = roles_visible_to(user).filter(pk=role_id).first()
    if role is None:
        raise NotFound("Role not found.")
    return role


def _assessment(assessment_id: int) -> Assessment:
    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound("Assessment not found.")
    return assessment


class ReportRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()

    class Meta:
        ref_name = "ReportRef"


class RoleFunnelApi(ReportApi):
    class OutputSerializer(serializers.Serializer):
        class StageSerializer(serializers.Serializer):
            slug = serializers.SlugField()
            name = serializers.CharField()
            order = serializers.IntegerField()
            current = serializers.IntegerField(help_text="Active applications at this stage now.")
            reached = serializers.IntegerField(help_text="Applications that ever reached this stage or a later one.")
            conversion = serializers.FloatField(allow_null=True, help_text="reached / the previous stage's reached (0–1).")
            median_days_in_stage = serializers.FloatField(allow_null=True)
            mean_days_in_stage = serializers.FloatField(allow_null=True)
            timed = serializers.IntegerField(help_text="Applications the times in stage are measured over.")

            class Meta:
                ref_name = "FunnelStage"

        class TotalsSerializer(serializers.Serializer):
            applications = serializers.IntegerField()
            active = serializers.IntegerField()
            hired = serializers.IntegerField()
            rejected = serializers.IntegerField()
            withdrawn = serializers.IntegerField()

            class Meta:
                ref_name = "FunnelTotals"

        role = ReportRefSerializer()
        as_of = serializers.DateTimeField()
        stages = StageSerializer(many=True)
        totals = TotalsSerializer()

        class Meta:
            ref_name = "RoleFunnel"

    @extend_schema(responses={200: OutputSerializer, **ERRORS},
                   summary="A role's funnel: per stage now, reached, conversion and days in stage; totals by state")
    def get(self, request, role_id: int):
        funnel = role_funnel(role=_role(request.user, role_id))
        return HttpResponse(self.OutputSerializer(funnel).data)


class ItemStatisticsApi(ReportApi):
    class OutputSerializer(serializers.Serializer):
        class ItemSerializer(serializers.Serializer):
            question_id = serializers.IntegerField(help_text="The live question; its past versions count with it.")
            title = serializers.CharField()
            kind = serializers.CharField()
            difficulty = serializers.CharField()
            responses = serializers.IntegerField(help_text="Graded responses.")
            mean_score = serializers.FloatField(allow_null=True, help_text="Facility: the mean score as a fraction of the maximum.")
            discrimination = serializers.FloatField(
                allow_null=True,
                help_text="Point-biserial correlation with the rest of the test; null under 5 attempts or without variance.")
            exposure = serializers.IntegerField(help_text="How many attempts have shown the question.")
            mean_time_s = serializers.FloatField(allow_null=True, required=False,
                                                 help_text="Mean seconds spent, over responses whose time was reported.")

            class Meta:
                ref_name = "ItemStatistic"

        assessment = ReportRefSerializer()
        attempts = serializers.IntegerField(help_text="Graded attempts.")
        items = ItemSerializer(many=True)

        class Meta:
            ref_name = "ItemStatistics"

    @extend_schema(responses={200: OutputSerializer, **ERRORS},
                   summary="Item statistics of an assessment: facility, discrimination, exposure, time")
    def get(self, request, assessment_id: int):
        statistics = item_statistics(assessment=_assessment(assessment_id))
        return HttpResponse(self.OutputSerializer(statistics).data)


class ScoreDistributionApi(ReportApi):
    class InputSerializer(serializers.Serializer):
        bins = serializers.IntegerField(min_value=1, max_value=MAX_BINS, default=10, required=False)

    class OutputSerializer(serializers.Serializer):
        class BinSerializer(serializers.Serializer):
            # "from" is a Python keyword: declared below
            to = serializers.FloatField()
            count = serializers.IntegerField()

            class Meta:
                ref_name = "ScoreBin"

            def get_fields(self):
                return {"from": serializers.FloatField(), **super().get_fields()}

        assessment = ReportRefSerializer()
        count = serializers.IntegerField()
        mean = serializers.FloatField(allow_null=True)
        median = serializers.FloatField(allow_null=True)
        pass_mark_percent = serializers.IntegerField()
        passed = serializers.IntegerField()
        pass_rate = serializers.FloatField(allow_null=True, help_text="0–1")
        bins = BinSerializer(many=True)

        class Meta:
            ref_name = "ScoreDistribution"

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer, **ERRORS},
                   summary="Distribution of graded attempts' percents: histogram, mean, median, pass rate")
    def get(self, request, assessment_id: int):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        distribution = score_distribution(assessment=_assessment(assessment_id), bins=params.validated_data["bins"])
        return HttpResponse(self.OutputSerializer(distribution).data)


# --- CSV exports ---------------------------------------------------------------------------


class CsvRenderer(BaseRenderer):
    """Lets a client ask for text/csv. Exports stream their own response; only errors are
    rendered here, as a one-column CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        message = data.get("message", "") if isinstance(data, dict) else str(data)
        return "".join(_csv_lines([["message"], [message]])).encode()


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value):
    """Spreadsheets run cells that start with = + - @ as formulas; names come from candidates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_lines(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_cell(v) for v in row])


def _csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


CSV_RESPONSE = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row, UTF-8."), **ERRORS}
CANDIDATE_COLUMNS = ["name", "email", "stage", "state", "stage_entered_at", "best_percent", "scorecard_average",
                     "interviewers"]
RESULT_COLUMNS = ["candidate", "email", "started_at", "submitted_at", "score", "max_score", "percent", "passed"]


class RoleCandidatesCsvApi(ReportApi):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses=CSV_RESPONSE, operation_id="staff_roles_candidates_csv",
                   summary="Every candidate of a role as CSV: " + ", ".join(CANDIDATE_COLUMNS) + " (streamed)")
    def get(self, request, role_id: int):
        role = _role(request.user, role_id)
        rows = (
            [*(c[k] for k in CANDIDATE_COLUMNS[:-1]), "; ".join(c["interviewers"])]
            for c in role_candidates_export(role=role)
        )
        return _csv_response(_with_header(CANDIDATE_COLUMNS, rows), f"{role.slug}-candidates.csv")


class AssessmentResultsCsvApi(ReportApi):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses=CSV_RESPONSE, operation_id="staff_assessments_results_csv",
                   summary="One row per graded attempt as CSV: " + ", ".join(RESULT_COLUMNS)
                   + ", then a percent per skill (streamed)")
    def get(self, request, assessment_id: int):
        assessment = _assessment(assessment_id)
        skills = assessment_result_skills(assessment=assessment)
        header = RESULT_COLUMNS + [f"{s.name} %" for s in skills]
        rows = (
            [r["name"], r["email"], r["started_at"], r["submitted_at"], r["score"], r["max_score"], r["percent"],
             r["passed"], *(r["skills"][s.slug] for s in skills)]
            for r in assessment_results_export(assessment=assessment, skills=skills)
        )
        return _csv_response(_with_header(header, rows), f"{assessment.slug}-results.csv")


def _with_header(header: list[str], rows: Iterable[list]) -> Iterator[list]:
    yield header
    yield from rows
