"""Candidate REST API (v1). Thin adapters: validate, call one service or selector, serialize."""

import math
import time

from django.http import HttpResponse as DjangoHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from assessments import selectors, services
from assessments.models import Attempt, Question, Skill, Submission
from assessments.services.integrity import integrity_note_save, integrity_record
from assessments.services.practice import practice_check, practice_start
from common.bulkhead import papers
from common.apis import ErrorSerializer
from common.exceptions import Conflict, NotFound
from common.throttling import ScopedRateThrottleFailOpen

# 415: a body that is not JSON (or, for uploads, a multipart form) is refused before the view runs.
ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 403, 404, 409, 415, 429)}
# A start can also find every start slot of its web process taken for too long (common/bulkhead.py).
START_ERRORS = {**ERRORS, 503: OpenApiResponse(ErrorSerializer,
                                                description="Too many starts at once: retry after Retry-After seconds")}
RETRY_AFTER = OpenApiParameter("Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[503],
                               description="Seconds to wait before trying again")


class SkillRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    """A question as the candidate sees it: never the correct options, answers, hidden tests or
    the reference solution."""

    class OptionSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        text = serializers.CharField()

    class SampleTestSerializer(serializers.Serializer):
        name = serializers.CharField()
        args = serializers.JSONField()
        expected = serializers.JSONField()

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    title = serializers.CharField()
    prompt = serializers.CharField()
    difficulty = serializers.CharField()
    points = serializers.FloatField()
    skills = SkillRefSerializer(many=True, source="skills.all")
    options = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    parts = serializers.SerializerMethodField(help_text="Data analysis: the numbers to answer, by key.")
    datasets = serializers.SerializerMethodField(help_text="Data analysis: this candidate's data (a preview; download by name).")
    code = serializers.SerializerMethodField()

    def get_parts(self, question) -> list[dict]:
        if question.kind != Question.Kind.DATA_ANALYSIS:
            return []
        return [{"key": p.key, "label": p.label, "unit": p.unit} for p in question.parts.all()]

    def get_datasets(self, question) -> list[dict]:
        return getattr(question, "datasets", [])

    def get_options(self, question) -> list[dict]:
        if question.kind not in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE, Question.Kind.TRUE_FALSE):
            return []
        options = getattr(question, "display_options", None)
        return [{"id": o.id, "text": o.text} for o in (options if options is not None else question.options.all())]

    def get_unit(self, question) -> str:
        return question.numeric.unit if question.kind == Question.Kind.NUMERIC else ""

    def get_code(self, question) -> dict | None:
        if question.kind != Question.Kind.CODE:
            return None
        spec = question.code
        if spec.style == spec.Style.FUNCTION:
            samples = getattr(question, "sample_tests", None)
            if samples is None:
                samples = question.code_tests.filter(is_sample=True)
            sample_tests = [{"name": t.name, "args": t.args, "expected": t.expected} for t in samples]
        else:
            samples = getattr(question, "sample_program_tests", None)
            if samples is None:
                samples = question.program_tests.filter(is_sample=True)
            sample_tests = [{"name": t.name, "input": t.input, "expected": t.answer} for t in samples]
        return {
            "style": spec.style,
            "language": spec.language,
            "languages": spec.languages,
            "function_name": spec.function_name,
            "starter_code": spec.starter_code,
            "time_limit_s": spec.time_limit_s,
            "memory_mb": spec.memory_mb,
            "sample_tests": sample_tests,
            "schema_sql": spec.fixture_sql if spec.style == spec.Style.SQL else "",
        }


class AttemptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = inline_serializer("AttemptAssessment", {"id": serializers.IntegerField(), "title": serializers.CharField()})
    state = serializers.ChoiceField(choices=Attempt.State.choices)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    server_time = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by = serializers.CharField()
    questions = QuestionSerializer(many=True)
    answers = serializers.DictField(child=serializers.JSONField(), help_text="Saved answers by question id.")


def attempt_payload(attempt: Attempt) -> dict:
    responses = selectors.attempt_responses(attempt=attempt)
    return {
        "id": attempt.id,
        "assessment": {"id": attempt.assessment_id, "title": attempt.assessment.title},
        "state": attempt.state,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "server_time": timezone.now(),
        "submitted_at": attempt.submitted_at,
        "submitted_by": attempt.submitted_by,
        "questions": [r.question for r in responses],
        "answers": {str(r.question_id): r.answer for r in responses},
    }


class AssessmentListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        slug = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        time_limit_minutes = serializers.SerializerMethodField()
        pass_mark_percent = serializers.IntegerField()
        question_count = serializers.IntegerField()
        attempt = serializers.SerializerMethodField()

        class Meta:
            ref_name = "AssessmentListItem"

        def get_time_limit_minutes(self, assessment) -> float:
            return round(assessment.time_limit.total_seconds() / 60, 2)

        def get_attempt(self, assessment) -> dict | None:
            attempt = assessment.my_attempts[0] if assessment.my_attempts else None
            if attempt is None:
                return None
            return {"id": attempt.id, "state": attempt.state, "deadline": attempt.deadline.isoformat(), "percent": attempt.percent}

    @extend_schema(responses={200: OutputSerializer(many=True), **ERRORS}, summary="Assessments I may take")
    def get(self, request):
        assessments = selectors.assessment_list_for_user(user=request.user)
        return HttpResponse(self.OutputSerializer(assessments, many=True).data)


class AttemptStartApi(APIView):
    @extend_schema(request=None, parameters=[RETRY_AFTER],
                   responses={201: AttemptOutputSerializer, 200: AttemptOutputSerializer, **START_ERRORS},
                   summary="Start (or resume) an attempt; the server fixes the deadline")
    def post(self, request, assessment_id: int):
        assessment = selectors.assessment_get(assessment_id=assessment_id)  # attempt_start checks access
        with papers:  # the paper drawn, written and serialized: see common/bulkhead.py
            attempt, created = services.attempt_start(candidate=request.user, assessment=assessment)
            paper = AttemptOutputSerializer(attempt_payload(attempt)).data
        return HttpResponse(paper, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AttemptDetailApi(APIView):
    @extend_schema(responses={200: AttemptOutputSerializer, **ERRORS}, summary="An attempt with its saved answers")
    def get(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
        return HttpResponse(AttemptOutputSerializer(attempt_payload(attempt)).data)


ANSWER_DOC = (
    'One of {"choice": option_id} (single choice, true/false), {"choices": [option_id, ...]}, {"value": 0.05}, '
    '{"text": "..."} (short and free text), '
    '{"language": "python", "source": "..."}.'
)


class ResponseSaveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        question_id = serializers.IntegerField()
        answer = serializers.JSONField()
        saved_at = serializers.DateTimeField(source="updated_at")

        class Meta:
            ref_name = "SavedResponse"

    @extend_schema(
        request=inline_serializer("Answer", {"choice": serializers.CharField(required=False)}),
        responses={200: OutputSerializer, **ERRORS},
        summary="Autosave an answer (409 after the deadline or submission)",
        description=ANSWER_DOC,
    )
    def put(self, request, attempt_id: int, question_id: int):
        response = services.response_save(attempt_id=attempt_id, question_id=question_id, answer=request.data,
                                           candidate=request.user)  # refuses anyone else's attempt
        return HttpResponse(self.OutputSerializer(response).data)


class TimeSpentApi(APIView):
    class InputSerializer(serializers.Serializer):
        seconds = serializers.IntegerField(min_value=0, max_value=3600)

        class Meta:
            ref_name = "TimeSpentInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("TimeSpent", {"time_spent_s": serializers.IntegerField()}), **ERRORS},
        summary="Report time spent on a question (capped by the time that has passed; 409 after the deadline)",
    )
    def post(self, request, attempt_id: int, question_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.time_spent_record(attempt_id=attempt.id, question_id=question_id,
                                              seconds=data.validated_data["seconds"])
        return HttpResponse({"time_spent_s": response.time_spent_s})


class PracticeCheckApi(APIView):
    @extend_schema(request=None, responses={200: inline_serializer("PracticeFeedback", {
        "correct": serializers.BooleanField(allow_null=True), "credit": serializers.FloatField(allow_null=True),
        "key": serializers.CharField(), "explanation": serializers.CharField()}), **ERRORS},
        summary="Practice only: check the saved answer now (the key and explanation come back)")
    def post(self, request, attempt_id: int, question_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
        return HttpResponse(practice_check(attempt_id=attempt.id, question_id=question_id))


class PracticeStartApi(APIView):
    class InputSerializer(serializers.Serializer):
        skill = serializers.SlugField(required=False, allow_blank=True, default="")
        difficulty = serializers.ChoiceField(choices=["", *Question.Difficulty.values], required=False, default="")

        class Meta:
            ref_name = "PracticeStartInput"

    @extend_schema(request=InputSerializer, parameters=[RETRY_AFTER],
                   responses={201: AttemptOutputSerializer, **START_ERRORS},
                   summary="Start (or resume) an untimed practice session by skill area and difficulty")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        skill = None
        if data.validated_data["skill"]:
            skill = Skill.objects.filter(slug=data.validated_data["skill"]).first()
            if skill is None:
                raise NotFound("No such skill area.")
        with papers:
            attempt = practice_start(candidate=request.user, skill=skill, difficulty=data.validated_data["difficulty"])
            paper = AttemptOutputSerializer(attempt_payload(attempt)).data
        return HttpResponse(paper, status=status.HTTP_201_CREATED)


class ReadinessApi(APIView):
    @extend_schema(responses={200: inline_serializer("Readiness", {"skill": serializers.CharField(),
                                                                   "mastery": serializers.FloatField(allow_null=True),
                                                                   "practise_next": serializers.BooleanField()}, many=True),
                              **ERRORS},
                   summary="My readiness per skill area, and what to practise next")
    def get(self, request):
        return HttpResponse(selectors.skill_readiness(candidate=request.user))


class IntegrityEventsApi(APIView):
    class InputSerializer(serializers.Serializer):
        events = serializers.ListField(child=serializers.DictField(), max_length=200,
                                       help_text='[{"kind": "paste"|"focus_lost"|"snapshot", "at", "question_id", "size", "duration_ms", "content"}]')

        class Meta:
            ref_name = "IntegrityEventsInput"

    @extend_schema(request=InputSerializer, responses={200: inline_serializer("Recorded", {"recorded": serializers.IntegerField()}),
                                                       **ERRORS},
                   summary="Record what the page saw (pastes, leaving the page, code snapshots), as the candidate was told")
    def post(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return HttpResponse({"recorded": integrity_record(attempt_id=attempt.id, events=data.validated_data["events"])})


class IntegrityApi(APIView):
    class NoteSerializer(serializers.Serializer):
        note = serializers.CharField(allow_blank=True, max_length=5000)

        class Meta:
            ref_name = "IntegrityNote"

    @extend_schema(responses={200: inline_serializer("Integrity", {"pastes": serializers.IntegerField(),
                                                                   "focus_lost": serializers.IntegerField(),
                                                                   "events": serializers.ListField(child=serializers.JSONField()),
                                                                   "note": serializers.CharField()}),
                              **ERRORS},
                   summary="What was recorded on this attempt (the candidate sees it all, and may add a note)")
    def get(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
        return HttpResponse(selectors.attempt_integrity(attempt=attempt, with_snapshots=attempt.candidate_id != request.user.id))

    @extend_schema(request=NoteSerializer, responses={200: NoteSerializer, **ERRORS},
                   summary="The candidate's note on what was recorded")
    def put(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
        data = self.NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = integrity_note_save(attempt=attempt, note=data.validated_data["note"])
        return HttpResponse({"note": attempt.integrity_note})


class SubmissionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attempt_id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Submission.Kind.choices)
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=Submission.Status.choices)
    verdict = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    custom_input = serializers.CharField(help_text="A run's own input (empty when it had none).")
    result = serializers.JSONField(
        help_text="Per-test results; hidden tests show pass/fail only. A run with custom input adds `custom`: "
        "its `status` (ok, or the verdict that stopped it: TLE, RTE, CE…), `stdout`, `stderr`, a function's "
        "returned `value` or a query's rows, `message`, `time_ms`."
    )


def submission_payload(submission: Submission, *, full: bool = False) -> dict:
    return {
        "id": submission.id,
        "attempt_id": submission.attempt_id,
        "question_id": submission.question_id,
        "kind": submission.kind,
        "language": submission.language,
        "status": submission.status,
        "verdict": submission.verdict,
        "score": submission.score,
        "created_at": submission.created_at,
        "finished_at": submission.finished_at,
        "error": "Grading failed on our side; it will be retried." if submission.error and not full else submission.error,
        "custom_input": submission.custom_input,
        "result": selectors.submission_public_result(submission=submission, full=full),
    }


class CodeInputSerializer(serializers.Serializer):
    language = serializers.CharField(required=False, help_text="Defaults to the question's language.")
    source = serializers.CharField(allow_blank=False, trim_whitespace=False, max_length=70000)
    custom_input = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=70000,
        help_text="Runs only: run once more on this input and show what comes out, unchecked. Standard input "
        "for a program, the arguments as a JSON list for a function (e.g. [[1, 2, 3], 2]), SQL run on the "
        "sample database before the query for SQL.",
    )


class WaitQuerySerializer(serializers.Serializer):
    wait = serializers.FloatField(
        required=False, default=0, min_value=0, max_value=20,
        help_text="Seconds to wait for the verdict before answering (long polling); 0 answers at once.",
    )

    def validate_wait(self, value: float) -> float:
        if not math.isfinite(value):
            raise serializers.ValidationError("A number of seconds from 0 to 20.")
        return value


class SubmissionCreateApi(APIView):
    """POST .../runs/ runs the sample tests (and the candidate's own input); POST .../submissions/
    grades on every test. With ?wait=N the answer comes once the verdict is in (201): one request
    instead of two for a verdict. It is 202 (read on with GET /api/submissions/{id}/?wait=N) when
    the verdict is not in after N seconds, when the server has no waiting place free, or as soon
    as the worker reports a program's tests done so far, so that the page shows them."""

    kind = Submission.Kind.SUBMIT
    throttle_classes = [ScopedRateThrottleFailOpen]  # per user: each one costs a sandbox run
    throttle_scope = "code_submit"

    @extend_schema(
        request=CodeInputSerializer, parameters=[WaitQuerySerializer],
        responses={
            201: OpenApiResponse(SubmissionOutputSerializer, description="Graded within `wait`: the verdict is in."),
            202: OpenApiResponse(SubmissionOutputSerializer, description="Queued or still running (maybe with tests done so far)."),
            **ERRORS,
        },
    )
    def post(self, request, attempt_id: int, question_id: int):
        query = WaitQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # before anything is queued
        data = CodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = dict(data.validated_data)
        custom_input = answer.pop("custom_input", "")
        created_at = time.monotonic()  # nothing can be announced before the submission exists
        submission = services.submission_create(
            attempt_id=attempt_id, question_id=question_id, kind=self.kind, answer=answer, custom_input=custom_input,
            candidate=request.user,  # refuses anyone else's attempt
        )
        submission = selectors.submission_wait(submission=submission, timeout_s=query.validated_data["wait"],
                                               read_at=created_at)
        done = status.HTTP_201_CREATED if submission.is_finished else status.HTTP_202_ACCEPTED
        return HttpResponse(SubmissionOutputSerializer(submission_payload(submission)).data, status=done)


class RunCreateApi(SubmissionCreateApi):
    kind = Submission.Kind.RUN
    throttle_scope = "code_run"


class SubmissionDetailApi(APIView):
    @extend_schema(parameters=[WaitQuerySerializer], responses={200: SubmissionOutputSerializer, **ERRORS},
                   summary="Read a run or submission, waiting up to `wait` seconds for its verdict")
    def get(self, request, submission_id: int):
        query = WaitQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        read_at = time.monotonic()
        submission = selectors.submission_get_for_user(user=request.user, submission_id=submission_id)
        submission = selectors.submission_wait(submission=submission, timeout_s=query.validated_data["wait"],
                                               read_at=read_at)
        # Anyone but the candidate got here through the view permission: no lookup on the poll path.
        full = submission.attempt.candidate_id != request.user.id
        return HttpResponse(SubmissionOutputSerializer(submission_payload(submission, full=full)).data)


class ResponseDatasetApi(APIView):
    """One of the candidate's datasets for a data-analysis question, as a CSV download."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS}, summary="Download one of my datasets (CSV)")
    def get(self, request, attempt_id: int, question_id: int, name: str):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
        text = selectors.response_dataset(attempt=attempt, question_id=question_id, name=name)
        response = DjangoHttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class AttemptSubmitApi(APIView):
    @extend_schema(request=None, responses={200: AttemptOutputSerializer, **ERRORS}, summary="Finish early")
    def post(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
        attempt = services.attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
        return HttpResponse(AttemptOutputSerializer(attempt_payload(attempt)).data)


class AttemptReportApi(APIView):
    class OutputSerializer(serializers.Serializer):
        attempt_id = serializers.IntegerField()
        assessment = serializers.JSONField()
        state = serializers.CharField()
        started_at = serializers.DateTimeField()
        submitted_at = serializers.DateTimeField(allow_null=True)
        submitted_by = serializers.CharField()
        score = serializers.FloatField(allow_null=True)
        max_score = serializers.FloatField()
        percent = serializers.FloatField(allow_null=True)
        pass_mark_percent = serializers.IntegerField()
        passed = serializers.BooleanField(allow_null=True)
        skills = serializers.ListField(child=serializers.JSONField())
        questions = serializers.ListField(child=serializers.JSONField())
        time_spent_s = serializers.IntegerField()
        percentile = serializers.FloatField(allow_null=True, help_text="Share of takers scoring lower (once 20 have).")
        percentile_of = serializers.IntegerField()
        results_shown = serializers.ChoiceField(choices=["full", "score", "none"], help_text="The assessment's results policy.")

        class Meta:
            ref_name = "AttemptReport"

    @extend_schema(responses={200: OutputSerializer, **ERRORS}, summary="Score, pass/fail, per-skill and per-question results")
    def get(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
        if attempt.state == Attempt.State.IN_PROGRESS:
            raise Conflict("The report is ready once the attempt is submitted.", {"state": attempt.state})
        report = selectors.attempt_report(attempt=attempt, staff=attempt.candidate_id != request.user.id)
        return HttpResponse(self.OutputSerializer(report).data)
