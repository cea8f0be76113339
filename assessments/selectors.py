import json
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from assessments import notify
from assessments.models import (
    Assessment,
    AssessmentDraw,
    AssessmentQuestion,
    Attempt,
    CodeSpec,
    CodeTest,
    IntegrityEvent,
    Invitation,
    Option,
    ProgramTest,
    Question,
    Response,
    SimilarityFlag,
    Skill,
    Submission,
)
from assessments.variants import dataset_preview, variant_apply
from common.db import Compiled
from common.exceptions import ApplicationError, Conflict, NotFound


@dataclass
class Access:
    allowed: bool  # the user may see the assessment at all
    may_start: bool = False
    reason: str = ""
    extra_time: timedelta = field(default_factory=timedelta)


def assessment_access(*, user: User, assessment: Assessment) -> Access:
    if not assessment.is_published:
        return Access(allowed=False)
    invitation = Invitation.objects.filter(assessment=assessment, candidate=user).first()
    if invitation is None and not assessment.is_public:
        return Access(allowed=False)
    if invitation is not None and invitation.revoked_at is not None:
        return Access(allowed=False)
    extra = invitation.extra_time if invitation else timedelta(0)
    now = timezone.now()
    if invitation is not None and invitation.available_until and invitation.available_until < now:
        return Access(allowed=True, reason="This invitation has expired.", extra_time=extra)
    if invitation is not None and invitation.available_from and invitation.available_from > now:
        return Access(
            allowed=True, extra_time=extra,
            reason=f"You can start from {timezone.localtime(invitation.available_from):%d %B %Y, %H:%M %Z}.",
        )
    taken = Attempt.objects.filter(candidate=user, assessment=assessment).exclude(state=Attempt.State.IN_PROGRESS)
    if not assessment.is_public and taken.exists():
        return Access(allowed=True, reason="You have already taken this assessment.", extra_time=extra)
    return Access(allowed=True, may_start=True, extra_time=extra)


def assessment_list_for_user(*, user: User) -> QuerySet[Assessment]:
    """Published assessments the user is invited to (not revoked), or open to everyone."""
    invited = Invitation.objects.filter(candidate=user, revoked_at__isnull=True).values("assessment_id")
    fixed = AssessmentQuestion.objects.filter(assessment=OuterRef("pk")).values("assessment").annotate(n=Count("id")).values("n")
    drawn = AssessmentDraw.objects.filter(assessment=OuterRef("pk")).values("assessment").annotate(n=Sum("count")).values("n")
    return (
        Assessment.objects.filter(is_published=True).exclude(mode=Assessment.Mode.PRACTICE)
        .annotate(question_count=Coalesce(Subquery(fixed), 0) + Coalesce(Subquery(drawn), 0))
        .filter(Q(is_public=True) | Q(id__in=invited))
        .prefetch_related(
            Prefetch(
                "attempts",
                queryset=Attempt.objects.filter(candidate=user).order_by("-started_at"),
                to_attr="my_attempts",
            ),
            Prefetch("invitations", queryset=Invitation.objects.filter(candidate=user), to_attr="my_invitations"),
        )
        .order_by("title")
    )


def assessment_get(*, assessment_id: int) -> Assessment:
    """The assessment, 404 if there is none; who may see it is the caller's to check (attempt_start
    does, with the same 404)."""
    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound("Assessment not found.")
    return assessment


def assessment_get_for_user(*, user: User, assessment_id: int) -> Assessment:
    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None or not assessment_access(user=user, assessment=assessment).allowed:
        raise NotFound("Assessment not found.")
    return assessment


def assessment_questions(*, assessment: Assessment, seed: int | None = None) -> list[Question]:
    """The fixed questions, then each draw's questions: published ones matching its filters,
    not already chosen, sampled by the seed (one attempt's draw is reproducible from it)."""
    # With what a candidate's page shows of each (the start shows the paper it has just made).
    chosen = [item.question for item in assessment.items.select_related("question__code", "question__numeric")
              .order_by("order", "id")]
    taken = {q.id for q in chosen}
    for draw in assessment.draws.all():
        pool = Question.objects.filter(status=Question.Status.PUBLISHED).exclude(id__in=taken)
        if assessment.mode == Assessment.Mode.PRACTICE:
            pool = practice_eligible(pool)
        if draw.skill_id:
            pool = pool.filter(skills=draw.skill_id)
        if draw.difficulty:
            pool = pool.filter(difficulty=draw.difficulty)
        if draw.kind:
            pool = pool.filter(kind=draw.kind)
        candidates = list(pool.select_related("code", "numeric").order_by("id").distinct())
        if len(candidates) < draw.count:
            raise Conflict(
                "This assessment is not ready yet: a question pool is too small.",
                {"draw": str(draw), "available": len(candidates)},
            )
        picked = random.Random(f"{seed}:draw:{draw.id}").sample(candidates, draw.count)
        chosen += picked
        taken |= {q.id for q in picked}
    return chosen


def practice_eligible(questions: QuerySet[Question]) -> QuerySet[Question]:
    """Leave out an assessment's fixed questions unless parameterized: practice shows the key,
    and the assessment would then hold no secret (a parameterized one gives other numbers)."""
    in_exams = AssessmentQuestion.objects.exclude(assessment__mode=Assessment.Mode.PRACTICE).values("question_id")
    return questions.exclude(Q(generator="") & Q(id__in=in_exams))


def question_families(*, question_ids) -> dict[int, int]:
    """Each given question, and each archived version of one, -> the given question's id."""
    family = {question_id: question_id for question_id in question_ids}
    family.update(Question.objects.filter(version_of_id__in=family).values_list("id", "version_of_id"))
    return family


def question_exposures(*, question_ids) -> dict[int, int]:
    """How many attempts have shown each question, its archived versions included: an attempt
    has one response per question it shows, and a new version moves the responses of the old
    content onto the archived row. Counted from the responses rather than kept on the question,
    so starting an attempt writes nothing to rows every other start shares (an attempt deleted
    with its responses no longer counts). Two queries; the count reads only the responses'
    question index (50k attempts of 4 questions: ~25 ms on SQLite, bench/hiring.py)."""
    family = question_families(question_ids=question_ids)
    counts = dict.fromkeys(family.values(), 0)
    for question_id, n in (Response.objects.filter(question_id__in=family).values("question_id")
                           .annotate(n=Count("id")).values_list("question_id", "n").order_by()):
        counts[family[question_id]] += n
    return counts


def question_exposure_count():
    """An annotation for lists of questions: `question_exposures` of each row, one count of its
    own responses and one of its past versions' (an archived row has none)."""
    def counted(**where):
        return Coalesce(Subquery(Response.objects.filter(**where).order_by().values(*where)
                                 .annotate(n=Count("id")).values("n")), 0)
    return counted(question=OuterRef("pk")) + counted(question__version_of=OuterRef("pk"))


def assessment_question_count(*, assessment: Assessment) -> int:
    return assessment.items.count() + sum(d.count for d in assessment.draws.all())


def attempt_get_for_user(*, user: User, attempt_id: int, to_change: bool = False) -> Attempt:
    """The attempt if the user owns it or may read every attempt (reviewers, admins); 404
    otherwise, so ids reveal nothing. Only its candidate may change it (`to_change`: 403)."""
    attempt = Attempt.objects.select_related("assessment", "candidate").filter(pk=attempt_id).first()
    # The owner needs no permission lookup (two queries on every candidate request otherwise).
    if attempt is None or (attempt.candidate_id != user.id and not user.has_perm("assessments.view_attempt")):
        raise NotFound("Attempt not found.")
    if to_change and attempt.candidate_id != user.id:
        raise ApplicationError("Only the candidate can change this attempt.", status=403)
    return attempt


def attempt_responses(*, attempt: Attempt) -> list[Response]:
    """Responses in the attempt's order (shuffled per attempt if the assessment says so), with
    everything a candidate-facing page shows; `question.display_options` is the option order.
    An attempt that attempt_start has just made carries its responses (`started_responses`, each
    with its question and variant): they are shown once, not read back."""
    started = attempt.__dict__.pop("started_responses", None)
    responses = sorted(
        started if started is not None else
        Response.objects.filter(attempt=attempt).select_related("question__code", "question__numeric", "variant",
                                                                "reviewed_by"),
        key=lambda r: (r.position, r.id),
    )
    # Only what the attempt's kinds of question show: each lookup is a query (starting an attempt).
    kinds = {r.question.kind for r in responses}
    styles = {r.question.code.style for r in responses
              if r.question.kind == Question.Kind.CODE and hasattr(r.question, "code")}
    lookups = ["question__skills", Prefetch("question__options", queryset=Option.objects.order_by("order", "id"))]
    if Question.Kind.DATA_ANALYSIS in kinds:
        lookups.append("question__parts")
    if CodeSpec.Style.FUNCTION in styles:
        lookups.append(Prefetch("question__code_tests", queryset=CodeTest.objects.filter(is_sample=True),
                                to_attr="sample_tests"))
    if styles - {CodeSpec.Style.FUNCTION}:
        lookups.append(Prefetch("question__program_tests", queryset=ProgramTest.objects.filter(is_sample=True),
                                to_attr="sample_program_tests"))
    prefetch_related_objects(responses, *lookups)
    for response in responses:
        options = list(response.question.options.all())
        if attempt.assessment.shuffle_options:  # by family: a new version keeps the attempt's order
            random.Random(f"{attempt.seed}:{response.question.family_id}").shuffle(options)
        response.question.display_options = options
        variant_apply(question=response.question, variant=response.variant)
        if response.variant is not None:
            response.datasets = response.question.datasets = [
                {"name": name, **dataset_preview(text)} for name, text in sorted(response.variant.datasets.items())
            ]
    return responses


# What reading a submission shows (apis.submission_payload) and who may read it: not the source
# (the candidate has it), nor anything of the question (the poll of every Run reads this).
SUBMISSION_READ_FIELDS = ("id", "attempt_id", "question_id", "kind", "language", "status", "verdict", "score",
                          "created_at", "finished_at", "error", "custom_input", "results", "attempt__candidate_id")


def submission_get_for_user(*, user: User, submission_id: int) -> Submission:
    submission = (Submission.objects.select_related("attempt").only(*SUBMISSION_READ_FIELDS)
                  .filter(pk=submission_id).first())
    if submission is None or (submission.attempt.candidate_id != user.id
                              and not user.has_perm("assessments.view_submission")):
        raise NotFound("Submission not found.")
    return submission


# What a waiting request reads, compiled once: whether the verdict is in, then the whole row
# (as refresh_from_db would read it), on every Run's and Submit's POST with ?wait.
_FINISHED = Compiled(lambda submission_id, done, error: Submission.objects.filter(
    pk=submission_id, status__in=[done, error]).values_list("id"), -1, "<done>", "<error>")
_ROW_FIELDS = tuple(f.attname for f in Submission._meta.concrete_fields)
_ROW_FIELDS_BY_NAME = {f.name: f for f in Submission._meta.concrete_fields}
_ROW = Compiled(lambda submission_id: Submission.objects.filter(pk=submission_id).values_list(*_ROW_FIELDS), -1)


def submission_wait(*, submission: Submission, timeout_s: float, read_at: float | None = None) -> Submission:
    """The submission as it is once finished or announced as changed (a program's tests so far),
    or after timeout_s (long polling; see assessments/notify.py). `read_at`: time.monotonic()
    taken before `submission` was read (or created), which spares a read before waiting.

    When the announcement that ends the wait carries what its commit wrote (a verdict does),
    those fields are set on `submission`, whose other fields do not change once it is queued
    but for the claim's (started_at, claims), which the announcement does not carry. Otherwise
    the row is read again. With no waiting place free it is returned as it is, at once."""
    if timeout_s and not submission.is_finished:
        fields = notify.submission_wait(
            submission.pk, timeout_s=timeout_s, read_at=read_at,
            is_finished=lambda: _FINISHED.first(submission.pk, Submission.Status.DONE,
                                                Submission.Status.ERROR) is not None)
        if fields is notify.NOT_WAITED:
            return submission
        if fields is None or not _announced_set(submission, fields):
            row = _ROW.first(submission.pk)
            if row is None:  # deleted meanwhile (with its attempt, say)
                raise NotFound("Submission not found.")
            for name, value in zip(_ROW_FIELDS, row):
                setattr(submission, name, value)
    return submission


def _announced_set(submission: Submission, fields: dict) -> bool:
    """Set the fields an announcement carried on `submission`, converted as the model's fields
    convert them (the same values as a read of the row; a JSON object keeps the key order the
    worker wrote, where PostgreSQL's jsonb would sort it). False, with nothing set, if one is not
    a column of the row or does not convert."""
    try:
        converted = {(model_field := _ROW_FIELDS_BY_NAME[name]).attname: model_field.to_python(value)
                     for name, value in fields.items()}
    except (KeyError, ValidationError, TypeError, ValueError):
        return False
    for attname, value in converted.items():
        setattr(submission, attname, value)
    return True


def submission_latest(*, attempt: Attempt) -> dict[int, Submission]:
    """The latest submission per question of an attempt (one query)."""
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(attempt=attempt).only("id", "question_id").order_by("created_at", "id"):
        latest[submission.question_id] = submission
    return latest


SOURCE_FILE_NAMES = {"python": "main.py", "r": "main.R", "c": "main.c", "cpp": "main.cpp", "sql": "query.sql"}


def submission_judge_input(*, submission: Submission) -> dict:
    """Plain data the grading task turns into a judge spec. Runs use the sample tests only.
    A function question's tests are those the claim read (SUBMISSION_FUNCTION_TESTS), if it did."""
    data = code_judge_input(
        question=submission.question, language=submission.language, source=submission.source,
        run_only=submission.kind == Submission.Kind.RUN, function_tests=submission.function_tests,
    )
    if submission.kind == Submission.Kind.RUN and submission.custom_input:
        data["custom_input"] = submission.custom_input
    return data


# A function question's tests as the judge gets them; every grading reads them (compiled once).
_FUNCTION_TEST_KEYS = ("name", "args", "expected", "weight", "sample", "feedback", "hint")
_FUNCTION_TEST_FIELDS = ("name", "args", "expected", "weight", "is_sample", "feedback", "hint")
_FUNCTION_TESTS = Compiled(lambda question_id: CodeTest.objects.filter(question_id=question_id)
                           .order_by("order", "id").values_list(*_FUNCTION_TEST_FIELDS), -1)
# The same, every test of a submission's question: read by its claim, in the claim's round trip.
SUBMISSION_FUNCTION_TESTS = Compiled(lambda submission_id: CodeTest.objects.filter(question__submissions__id=submission_id)
                                     .order_by("order", "id").values_list(*_FUNCTION_TEST_FIELDS), -1)


def code_judge_input(*, question: Question, language: str, source: str, run_only: bool = False,
                     function_tests: list[tuple] | None = None) -> dict:
    """`function_tests`: a function question's every test, rows of SUBMISSION_FUNCTION_TESTS, when
    already read (else they are read here)."""
    spec = question.code
    data = {
        "style": spec.style,
        "language": language,
        "source": source,
        "function_name": spec.function_name,
        "data_stack": spec.data_stack,
        "cpu_time_s": spec.time_limit_s,
        "memory_mb": spec.memory_mb,
        "output_kb": spec.output_kb,
    }
    if spec.style == spec.Style.FUNCTION:
        rows = _FUNCTION_TESTS.rows(question.id) if function_tests is None else function_tests
        tests = [dict(zip(_FUNCTION_TEST_KEYS, row)) for row in rows]
        data["tests"] = [test for test in tests if test["sample"]] if run_only else tests  # a Run: the samples
        return data
    tests = ProgramTest.objects.filter(question_id=question.id).order_by("order", "id")
    if run_only:
        tests = tests.filter(is_sample=True)
    data["tests"] = [
        {
            "name": t.name, "input": t.input, "answer": t.answer, "group": t.group, "weight": t.weight,
            "checker_args": t.checker_args,
            "sample": t.is_sample, "feedback": t.feedback, "hint": t.hint,
        }
        for t in tests
    ]
    used_groups = {t["group"] for t in data["tests"]}
    data["groups"] = [
        {"name": g.name, "weight": g.weight, "aggregation": g.aggregation}
        for g in question.test_groups.all() if g.name in used_groups
    ]
    data["file_name"] = SOURCE_FILE_NAMES.get(language, "main")
    data["checker"] = {
        "kind": spec.checker, "abs_tol": spec.abs_tol, "rel_tol": spec.rel_tol,
        "case_sensitive": spec.case_sensitive, "space_sensitive": spec.space_sensitive,
        "args": spec.validator_flags,
    }
    files = list(question.support_files.all())
    data["validator_files"] = [(f.name, f.content) for f in files if f.role == "validator"]
    data["include_files"] = [(f.name, f.content) for f in files if f.role == "include" and f.language == language]
    data["fixture_sql"] = spec.fixture_sql
    data["reference_solution"] = spec.reference_solution
    data["order_matters"] = spec.order_matters
    data["check_column_names"] = spec.check_column_names
    return data


# A custom run's output is shown, never checked: a plain checker, never the question's validator.
_UNCHECKED = {"kind": "tokens", "abs_tol": None, "rel_tol": None, "case_sensitive": False, "space_sensitive": False,
              "args": []}


def custom_judge_input(*, judge_input: dict) -> dict:
    """A Run's judge input turned into a one-test probe of the candidate's own input: a function
    called with their arguments (a JSON list; ValueError otherwise), a program given their stdin
    under a plain checker, a query run after their SQL on the sample database (the first sample
    test's own, else the question's: both are shown to the candidate), built with no more CPU
    than one test gets. Nothing hidden is in it."""
    text, style = judge_input["custom_input"], judge_input["style"]
    probe = dict(judge_input)
    if style == "function":
        probe["tests"] = [{"name": "custom", "args": json.loads(text), "expected": None, "weight": 1.0}]
    elif style == "program":
        probe.update(
            tests=[{"name": "custom", "input": text, "answer": "", "group": "", "weight": 1.0, "checker_args": [],
                    "sample": True}],
            groups=[], checker=_UNCHECKED, validator_files=[],
        )
    else:
        sample = next((t["input"] for t in judge_input["tests"] if t.get("input")), judge_input["fixture_sql"])
        fixture = f"{sample}\n;\n{text}" if sample else text
        probe.update(tests=[{"name": "custom", "input": fixture, "weight": 1.0, "expected_rows": []}],
                     check_column_names=False, fixture_cpu_s=judge_input["cpu_time_s"])
    return probe


# What each feedback policy reveals of a test's result, beyond "passed".
_FEEDBACK_FIELDS = {
    "passfail": (),
    "verdict": ("verdict", "time_ms"),
    "hint": ("verdict", "time_ms", "hint"),
    "full": ("verdict", "time_ms", "hint", "message", "args", "expected", "actual", "input", "answer", "output"),
}


CANDIDATE_CONTROLLED = ("message", "actual", "output")


def test_feedback_policy(test: dict) -> str:
    """A test's own policy, else full for sample tests and pass/fail for hidden ones."""
    return test.get("feedback") or ("full" if test.get("sample") else "passfail")


def submission_public_result(*, submission: Submission, full: bool = False) -> dict:
    """What the candidate may see of a graded submission, test by test as each test's feedback
    policy allows (hidden tests default to pass/fail only). Of a Submit, nothing the candidate's
    code wrote comes back (it could carry hidden inputs); a Run holds sample tests only and
    shows all. Staff get everything (`full`)."""
    results = submission.results or {}
    if full:
        return results
    is_run = submission.kind == Submission.Kind.RUN  # a run's box holds the sample tests only
    tests = []
    hidden_index = 0
    for test in results.get("tests", []):
        policy = test_feedback_policy(test)
        if not test.get("sample"):
            hidden_index += 1
        if policy == "none":
            continue
        shown = test.get("sample") or policy == "full"
        entry = {
            "name": test["name"] if shown else f"Hidden test {hidden_index}",
            "hidden": not test.get("sample"),
            "passed": test.get("verdict") == "AC",
        }
        entry.update({name: test.get(name) for name in _FEEDBACK_FIELDS[policy] if name in test})
        if not is_run:
            # On Submit every test's input shares the box with the candidate's code, which can
            # write any of them into the text it controls: its messages, values, output.
            for name in CANDIDATE_CONTROLLED:
                entry.pop(name, None)
        tests.append(entry)
    public = {"tests": tests}
    if is_run:
        public.update(compile_output=results.get("compile_output", ""), stdout=results.get("stdout", ""),
                      stderr=results.get("stderr", ""))
        if "custom" in results:  # the candidate's own input, through their own code only
            public["custom"] = results["custom"]
    else:
        public["compile_output"] = (
            "Your code did not compile or load: use Run to see the message." if results.get("verdict") == "CE" else ""
        )
    return public


def attempt_report(*, attempt: Attempt, staff: bool = False) -> dict:
    """Score, pass/fail, per-skill breakdown and per-question results. Never the correct answers
    for the candidate; `staff` (a reviewer's view) adds each answer, the code and every test's
    full result, hidden tests included."""
    responses = attempt_responses(attempt=attempt)
    # The latest Submit per question, fetched with its results (not every earlier one's).
    newest = (
        Submission.objects.filter(attempt=attempt, kind=Submission.Kind.SUBMIT, question_id=OuterRef("question_id"))
        .order_by("-created_at", "-id").values("id")[:1]
    )
    latest = {
        s.question_id: s
        for s in Submission.objects.filter(attempt=attempt, kind=Submission.Kind.SUBMIT, id=Subquery(newest))
    }
    skills: dict[str, dict] = {}
    questions = []
    for position, response in enumerate(responses, start=1):
        question = response.question
        for skill in question.skills.all():
            row = skills.setdefault(skill.slug, {"skill": skill.slug, "name": skill.name, "score": 0.0, "max_score": 0.0})
            row["max_score"] += response.max_score
            row["score"] += response.score or 0.0
        item = {
            "position": position,
            "question_id": question.id,
            "title": question.title,
            "kind": question.kind,
            "skills": [s.slug for s in question.skills.all()],
            "answered": _is_answered(response.answer),
            "score": response.score,
            "max_score": response.max_score,
            "status": _response_status(response) if _is_answered(response.answer) or response.score is None else "unanswered",
            "time_spent_s": response.time_spent_s,
        }
        if attempt.assessment.show_explanations and attempt.state == Attempt.State.GRADED and question.explanation:
            item["explanation"] = question.explanation
        submission = latest.get(question.id)
        if question.kind == Question.Kind.CODE and submission is not None:
            item["submission"] = {
                "id": submission.id,
                "status": submission.status,
                "verdict": submission.verdict,
                "score": submission.score,
                **submission_public_result(submission=submission, full=staff),
            }
        if staff:
            item.update(
                response_id=response.id, prompt=question.prompt, answer=response.answer,
                answer_text=_answer_text(response), version=question.version,
                variant=response.variant.index if response.variant is not None else None,
                reviewed_by=str(response.reviewed_by) if response.reviewed_by_id else None,
                review_note=response.review_note,
            )
            if submission is not None:
                item["submission"].update(source=submission.source, language=submission.language, error=submission.error)
        questions.append(item)
    for row in skills.values():
        row["percent"] = round(100 * row["score"] / row["max_score"], 1) if row["max_score"] else None
    report = {
        "attempt_id": attempt.id,
        "assessment": {"id": attempt.assessment_id, "title": attempt.assessment.title},
        "state": attempt.state,
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
        "submitted_by": attempt.submitted_by,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "pass_mark_percent": attempt.assessment.pass_mark_percent,
        "passed": attempt.passed,
        "skills": sorted(skills.values(), key=lambda r: r["name"]),
        "questions": questions,
        "time_spent_s": sum(r.time_spent_s for r in responses),
        **attempt_percentile(attempt=attempt),
        "results_shown": Assessment.CandidateResults.FULL if staff else attempt.assessment.candidate_results,
    }
    return report if staff else _as_policy_allows(report)


PERCENTILE_MIN_ATTEMPTS = 20


def attempt_percentile(*, attempt: Attempt) -> dict:
    """Where a graded attempt stands among every graded attempt of its assessment (the share
    scoring lower, ties counted half), once at least 20 people have taken it."""
    if attempt.state != Attempt.State.GRADED or attempt.score is None:
        return {"percentile": None, "percentile_of": 0}
    graded = Attempt.objects.filter(assessment_id=attempt.assessment_id, state=Attempt.State.GRADED)
    counts = graded.aggregate(total=Count("id"), lower=Count("id", filter=Q(score__lt=attempt.score)),
                              equal=Count("id", filter=Q(score=attempt.score)))
    if counts["total"] < PERCENTILE_MIN_ATTEMPTS:
        return {"percentile": None, "percentile_of": counts["total"]}
    share = (counts["lower"] + (counts["equal"] - 1) / 2) / (counts["total"] - 1)
    return {"percentile": round(100 * share, 1), "percentile_of": counts["total"]}


def _as_policy_allows(report: dict) -> dict:
    """What the candidate may see of a report, as the assessment's results policy says."""
    policy = report["results_shown"]
    if policy == Assessment.CandidateResults.FULL or report["state"] != Attempt.State.GRADED:
        return report
    hidden = {"questions": [], "percentile": None}
    if policy == Assessment.CandidateResults.NONE:
        hidden.update(score=None, percent=None, passed=None, skills=[])
    return {**report, **hidden}


def _answer_text(response: Response) -> str:
    """A response's answer in words, for reviewers (options by their text, not their ids)."""
    answer, question = response.answer, response.question
    options = {o.id: o.text for o in getattr(question, "display_options", None) or question.options.all()}
    if "choice" in answer:
        return options.get(answer["choice"], "") if answer["choice"] is not None else ""
    if "choices" in answer:
        return "; ".join(options.get(c, "?") for c in answer["choices"])
    if "value" in answer:
        return "" if answer["value"] is None else f"{answer['value']:g}"
    if "parts" in answer:
        return "; ".join(f"{k} = {v:g}" for k, v in answer["parts"].items() if v is not None)
    return answer.get("text") or answer.get("source") or ""


def _is_answered(answer: dict) -> bool:
    return any(_is_answered(v) if isinstance(v, dict) else v not in (None, "", []) for v in answer.values())


def _response_status(response: Response) -> str:
    if response.score is None:
        return "awaiting review" if response.question.kind == Question.Kind.FREE_TEXT else "pending"
    if response.score >= response.max_score:
        return "correct"
    return "partial" if response.score > 0 else "incorrect"


def question_for_check(*, question_id: int) -> Question | None:
    """A live question with what checking its answer key reads (None if gone or archived)."""
    return (
        Question.objects.filter(pk=question_id, version_of__isnull=True)
        .select_related("numeric", "code")
        .prefetch_related("options", "text_answers", "parts")
        .first()
    )


def response_dataset(*, attempt: Attempt, question_id: int, name: str) -> str:
    """A dataset the attempt's candidate was given for one question (CSV text)."""
    response = Response.objects.select_related("variant").filter(attempt=attempt, question_id=question_id).first()
    if response is None or response.variant is None or name not in response.variant.datasets:
        raise NotFound("No such dataset for this question.")
    return response.variant.datasets[name]


def attempt_integrity(*, attempt: Attempt, with_snapshots: bool = False,
                      others_visible: set[int] | None = None) -> dict:
    """What was recorded on an attempt, summed up, event by event, and the candidate's note.
    Snapshots' code is only for reviewers' playback (`with_snapshots`). A flag pairing this code
    with another candidate's names that candidate and shows their code only if their attempt is
    in `others_visible` (None: the reader sees every attempt)."""
    events = list(IntegrityEvent.objects.filter(attempt=attempt).select_related("question")
                  .only("kind", "at", "size", "duration_ms", "question__title", "question_id",
                        *(["content"] if with_snapshots else [])))
    pastes = [e for e in events if e.kind == IntegrityEvent.Kind.PASTE]
    away = [e for e in events if e.kind == IntegrityEvent.Kind.FOCUS_LOST]
    flags = SimilarityFlag.objects.filter(Q(submission_a__attempt=attempt) | Q(submission_b__attempt=attempt)).select_related(
        "submission_a__attempt__candidate", "submission_b__attempt__candidate", "question")
    return {
        "recorded": attempt.assessment.records_integrity,
        "pastes": len(pastes),
        "pasted_chars": sum(e.size or 0 for e in pastes),
        "focus_lost": len(away),
        "focus_lost_s": round(sum(e.duration_ms or 0 for e in away) / 1000),
        "snapshots": sum(e.kind == IntegrityEvent.Kind.SNAPSHOT for e in events),
        "events": [
            {"kind": e.kind, "at": e.at, "question": e.question.title if e.question_id else None,
             "question_id": e.question_id, "size": e.size, "duration_ms": e.duration_ms,
             **({"content": e.content} if with_snapshots and e.kind == IntegrityEvent.Kind.SNAPSHOT else {})}
            for e in events if with_snapshots or e.kind != IntegrityEvent.Kind.SNAPSHOT
        ],
        "note": attempt.integrity_note,
        "similar": [_similarity_view(f, attempt, others_visible) for f in flags] if with_snapshots else [],
    }


def _similarity_view(flag: SimilarityFlag, attempt: Attempt, others_visible: set[int] | None) -> dict:
    mine_is_a = flag.submission_a.attempt_id == attempt.id
    mine, other = (flag.submission_a, flag.submission_b) if mine_is_a else (flag.submission_b, flag.submission_a)
    # Regions are stored as (a lines, b lines): turn them to (this attempt's, the other's).
    regions = [r if mine_is_a else [r[2], r[3], r[0], r[1]] for r in flag.regions]
    shown = others_visible is None or other.attempt_id in others_visible
    return {"question": flag.question.title, "score": round(flag.score, 3), "regions": regions,
            "mine": _lines_marked(mine.source, [(r[0], r[1]) for r in regions]),
            "other": _lines_marked(other.source, [(r[2], r[3]) for r in regions]) if shown else [],
            "other_candidate": str(other.attempt.candidate) if shown else "another candidate",
            "other_attempt_id": other.attempt_id}


def _lines_marked(source: str, spans: list[tuple[int, int]]) -> list[dict]:
    """The source line by line, each saying whether it lies in a matching region."""
    return [{"number": n, "text": text, "match": any(a <= n <= b for a, b in spans)}
            for n, text in enumerate(source.splitlines(), start=1)]


READINESS_WINDOW = 20  # a skill's readiness looks at the candidate's latest answers only


def skill_readiness(*, candidate: User) -> list[dict]:
    """Per skill area: how the candidate's latest graded answers went (assessments and
    practice together), and what to practise next — the weakest areas first, at a difficulty
    that fits."""
    rows = (
        Response.objects.filter(attempt__candidate=candidate, score__isnull=False, max_score__gt=0)
        .exclude(attempt__assessment__candidate_results=Assessment.CandidateResults.NONE)
        .values_list("question__skills__slug", "score", "max_score", "attempt__assessment__mode", "updated_at")
        .order_by("-updated_at")
    )
    by_skill: dict[str, list] = {}
    for slug, score, max_score, mode, at in rows:
        if slug and len(by_skill.setdefault(slug, [])) < READINESS_WINDOW:
            by_skill[slug].append((score / max_score, mode, at))
    readiness = []
    for skill in Skill.objects.order_by("name"):
        answers = by_skill.get(skill.slug, [])
        mastery = round(100 * sum(a[0] for a in answers) / len(answers), 1) if answers else None
        readiness.append({
            "skill": skill.slug, "name": skill.name, "answered": len(answers), "mastery": mastery,
            "practised": sum(a[1] == Assessment.Mode.PRACTICE for a in answers),
            "last": answers[0][2] if answers else None,
            "next_difficulty": ("easy" if mastery is None or mastery < 50 else "medium" if mastery < 80 else "hard"),
        })
    order = sorted(readiness, key=lambda r: (r["mastery"] is not None, r["mastery"] or 0, r["answered"]))
    for rank, row in enumerate(order):
        row["practise_next"] = rank < 2
    return readiness


def grading_backlog() -> dict:
    """How much grading waits: queued and running submissions, and the oldest queued one's age."""
    now = timezone.now()
    counts = Submission.objects.filter(status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]).aggregate(
        queued=Count("id", filter=Q(status=Submission.Status.QUEUED)),
        running=Count("id", filter=Q(status=Submission.Status.RUNNING)),
    )
    oldest = (Submission.objects.filter(status=Submission.Status.QUEUED).order_by("created_at")
              .values_list("created_at", flat=True).first())
    return {**counts, "oldest_queued_s": round((now - oldest).total_seconds(), 1) if oldest else 0.0}
