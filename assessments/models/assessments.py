import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from assessments.models.questions import Question
from common.models import BaseModel


class Assessment(BaseModel):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_limit = models.DurationField(default=timedelta(minutes=45))
    pass_mark_percent = models.PositiveSmallIntegerField(default=60, validators=[MaxValueValidator(100)])
    is_published = models.BooleanField(default=False)
    is_public = models.BooleanField(default=False, help_text="Open to every signed-in user without an invitation.")
    shuffle_questions = models.BooleanField(default=False, help_text="Each attempt gets its own order (from its seed).")
    shuffle_options = models.BooleanField(default=False, help_text="Each attempt gets its own option order (from its seed).")
    class CandidateResults(models.TextChoices):
        FULL = "full", "Score, skills and per-question results"
        SCORE = "score", "Score, pass/fail and skills only"
        NONE = "none", "Nothing: the team shares results"

    candidate_results = models.CharField(
        max_length=5, choices=CandidateResults.choices, default=CandidateResults.FULL,
        help_text="What candidates see of their graded attempt (staff always see everything).",
    )
    records_integrity = models.BooleanField(
        default=True, help_text="Record pastes, leaving the page and code snapshots (candidates are told before they start).",
    )
    class Mode(models.TextChoices):
        TIMED = "timed", "Timed assessment"
        PRACTICE = "practice", "Practice (untimed, instant feedback)"

    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.TIMED)
    show_explanations = models.BooleanField(
        default=False, help_text="After grading, candidates see each question's explanation with their results."
    )
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


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class AssessmentDraw(BaseModel):
    """A section that draws `count` published questions from the pool matching its filters;
    each attempt's draw is fixed by its seed."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="draws")
    count = models.PositiveSmallIntegerField()
    skill = models.ForeignKey("assessments.Skill", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    difficulty = models.CharField(max_length=10, choices=Question.Difficulty.choices, blank=True)
    kind = models.CharField(max_length=20, choices=Question.Kind.choices, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        filters = ", ".join(x for x in (self.skill and self.skill.name, self.difficulty, self.kind) if x) or "any question"
        return f"{self.count} from {filters}"


class Invitation(BaseModel):
    """A candidate may take an assessment: a single-use sign-in link with an expiry, an
    availability window for starting, and optional extra time."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="invitations")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    link_expires_at = models.DateTimeField(null=True, blank=True, help_text="The link stops working after this.")
    link_used_at = models.DateTimeField(null=True, blank=True)
    extra_time = models.DurationField(default=timedelta(0))
    available_from = models.DateTimeField(null=True, blank=True, help_text="The attempt cannot start before this.")
    available_until = models.DateTimeField(null=True, blank=True, help_text="The attempt cannot start after this.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "candidate"], name="invitation_unique")]
