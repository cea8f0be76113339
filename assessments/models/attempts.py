from django.conf import settings
from django.db import models
from django.db.models import Q

from assessments.models.assessments import Assessment
from assessments.models.code import CodeSpec
from assessments.models.questions import Question
from common.models import BaseModel


def score_in_range(upper, *, name: str) -> models.CheckConstraint:
    """A score is unset, or between 0 and `upper` (a number or another column)."""
    return models.CheckConstraint(condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=upper)), name=name)


class Attempt(BaseModel):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted, grading"
        GRADED = "graded", "Graded"

    TRANSITIONS = {
        State.IN_PROGRESS: {State.SUBMITTED},
        State.SUBMITTED: {State.GRADED},
        State.GRADED: {State.SUBMITTED},  # a regrade reopens grading
    }

    class SubmittedBy(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        DEADLINE = "deadline", "Deadline"

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="attempts")
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    seed = models.BigIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.CharField(max_length=20, choices=SubmittedBy.choices, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(default=0)
    activity_at = models.DateTimeField(null=True, blank=True, help_text="The last time the page reported time spent.")
    integrity_note = models.TextField(blank=True, help_text="The candidate's own note on what was recorded.")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "assessment"],
                condition=Q(state="in_progress"),
                name="attempt_one_open_per_candidate",
            ),
            models.CheckConstraint(condition=Q(deadline__gt=models.F("started_at")), name="attempt_deadline_after_start"),
            score_in_range(models.F("max_score"), name="attempt_score_in_range"),
        ]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self):
        return f"{self.candidate} · {self.assessment} ({self.get_state_display()})"

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score, 1)

    @property
    def passed(self) -> bool | None:
        percent = self.percent
        return None if percent is None else percent >= self.assessment.pass_mark_percent


class Response(BaseModel):
    """The candidate's saved answer to one question of an attempt, and its score once graded."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    answer = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=0, help_text="Where the question stands in this attempt.")
    variant = models.ForeignKey(
        "assessments.QuestionVariant", null=True, blank=True, on_delete=models.PROTECT, related_name="responses",
        help_text="The instance of a parameterized question this candidate was shown.",
    )
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField()
    graded_at = models.DateTimeField(null=True, blank=True)
    time_spent_s = models.PositiveIntegerField(default=0, help_text="Seconds the candidate spent on it (reported by the page, capped by the clock).")
    # A reviewer's grade (free-text answers) or override, always with a note.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="response_unique_per_question"),
            score_in_range(models.F("max_score"), name="response_score_in_range"),
        ]


class Submission(BaseModel):
    """One run (sample tests) or submit (all tests) of a code answer, graded by a worker."""

    class Kind(models.TextChoices):
        RUN = "run", "Run (sample tests)"
        SUBMIT = "submit", "Submit (all tests)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        ERROR = "error", "Error"

    TRANSITIONS = {
        Status.QUEUED: {Status.RUNNING},
        Status.RUNNING: {Status.DONE, Status.ERROR, Status.QUEUED},  # QUEUED: the reconciler recovers a dead worker's row
        Status.DONE: set(),
        Status.ERROR: {Status.QUEUED},  # staff may retry an infrastructure failure
    }

    class Verdict(models.TextChoices):
        AC = "AC", "Accepted"
        WA = "WA", "Wrong answer"
        TLE = "TLE", "Time limit exceeded"
        MLE = "MLE", "Memory limit exceeded"
        OLE = "OLE", "Output limit exceeded"
        RTE = "RTE", "Run-time error"
        CE = "CE", "Compilation error"
        IE = "IE", "Internal error"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="submissions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    language = models.CharField(max_length=20, choices=CodeSpec.Language.choices)
    source = models.TextField()
    custom_input = models.TextField(
        blank=True, help_text="A run's own input, shown back unchecked: stdin, call arguments (JSON) or SQL run first."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=3, choices=Verdict.choices, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Fraction of the test weight passed, 0..1.")
    results = models.JSONField(default=dict, blank=True, help_text="The judge's full result (staff only).")
    error = models.TextField(blank=True, help_text="Infrastructure failure, told apart from the candidate's verdicts.")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claims = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker claimed it.")

    # Not stored: what services.submission_claim reads in the claim's own round trip, for grading
    # to use without a query of its own. The points of the response a Submit scores, and a
    # function question's every test (rows of selectors.SUBMISSION_FUNCTION_TESTS). None on a
    # row read any other way: the consumers then read them themselves.
    response_max_score: float | None = None
    function_tests: list[tuple] | None = None

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]
        constraints = [
            score_in_range(1, name="submission_score_fraction"),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.ERROR)
