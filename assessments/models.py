from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from common.models import BaseModel


class Skill(BaseModel):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Question(BaseModel):
    class Kind(models.TextChoices):
        SINGLE_CHOICE = "single_choice", "Single choice"
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        NUMERIC = "numeric", "Numeric"
        CODE = "code", "Code"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    prompt = models.TextField(help_text="Shown to the candidate. Plain text; blank lines separate paragraphs.")
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    points = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(100)])
    explanation = models.TextField(blank=True, help_text="Shown after grading.")
    skills = models.ManyToManyField(Skill, related_name="questions", blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class Option(BaseModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.text


class NumericSpec(BaseModel):
    """The answer to a numeric question: accepted when |x - answer| <= max(abs_tol, rel_tol * |answer|)."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="numeric")
    answer = models.FloatField()
    abs_tol = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    rel_tol = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    unit = models.CharField(max_length=30, blank=True)

    def __str__(self):
        return f"{self.answer} ± max({self.abs_tol}, {self.rel_tol}·|x|)"


class CodeSpec(BaseModel):
    class Language(models.TextChoices):
        PYTHON = "python", "Python 3"

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="code")
    language = models.CharField(max_length=20, choices=Language.choices, default=Language.PYTHON)
    function_name = models.CharField(max_length=100)
    starter_code = models.TextField(blank=True)
    reference_solution = models.TextField(blank=True)
    time_limit_s = models.FloatField(default=2.0, validators=[MinValueValidator(0.1), MaxValueValidator(30)])
    memory_mb = models.PositiveIntegerField(default=256, validators=[MinValueValidator(16), MaxValueValidator(2048)])

    def __str__(self):
        return f"{self.get_language_display()}: {self.function_name}()"


class CodeTest(BaseModel):
    """One call of the candidate's function: function(*args) must return `expected`."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="code_tests")
    name = models.CharField(max_length=100)
    args = models.JSONField(default=list, help_text="JSON list of positional arguments.")
    # null=True: a function may be expected to return None (JSON null reads back the same).
    expected = models.JSONField(null=True, blank=True, help_text="JSON value the function must return.")
    is_sample = models.BooleanField(default=False, help_text="Sample tests are shown to the candidate and used by Run.")
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "name"], name="codetest_unique_name")]

    def __str__(self):
        return self.name


class Assessment(BaseModel):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_limit = models.DurationField(default=timedelta(minutes=45))
    pass_mark_percent = models.PositiveSmallIntegerField(default=60, validators=[MaxValueValidator(100)])
    is_published = models.BooleanField(default=False)
    is_public = models.BooleanField(default=False, help_text="Open to every signed-in user without an invitation.")
    questions = models.ManyToManyField(Question, through="AssessmentQuestion", related_name="assessments")

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class AssessmentQuestion(BaseModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "question"], name="assessmentquestion_unique")]


class Invitation(BaseModel):
    """A candidate may take an assessment. Links, expiry e-mails and resends build on this."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="invitations")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    extra_time = models.DurationField(default=timedelta(0))
    available_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "candidate"], name="invitation_unique")]


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

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "assessment"],
                condition=Q(state="in_progress"),
                name="attempt_one_open_per_candidate",
            ),
            models.CheckConstraint(condition=Q(deadline__gt=models.F("started_at")), name="attempt_deadline_after_start"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=models.F("max_score"))),
                name="attempt_score_in_range",
            ),
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
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField()
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="response_unique_per_question"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=models.F("max_score"))),
                name="response_score_in_range",
            ),
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
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=3, choices=Verdict.choices, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Fraction of the test weight passed, 0..1.")
    results = models.JSONField(default=dict, blank=True, help_text="The judge's full result (staff only).")
    error = models.TextField(blank=True, help_text="Infrastructure failure, told apart from the candidate's verdicts.")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claims = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker claimed it.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=1)), name="submission_score_fraction"
            ),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.ERROR)
