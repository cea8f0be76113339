from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

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
        TRUE_FALSE = "true_false", "True / false"
        NUMERIC = "numeric", "Numeric"
        SHORT_TEXT = "short_text", "Short text"
        FREE_TEXT = "free_text", "Free text (reviewed against a rubric)"
        CODE = "code", "Code"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        VALIDATED = "validated", "Validated (its answer key holds)"
        PUBLISHED = "published", "Published (may be used in assessments)"
        RETIRED = "retired", "Retired"

    # Publishing needs a passing validation (services.validation.question_publish).
    STATUS_TRANSITIONS = {
        Status.DRAFT: {Status.VALIDATED, Status.PUBLISHED, Status.RETIRED},
        Status.VALIDATED: {Status.DRAFT, Status.PUBLISHED, Status.RETIRED},
        Status.PUBLISHED: {Status.DRAFT, Status.RETIRED},
        Status.RETIRED: {Status.DRAFT},
    }

    class ChoiceScoring(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        PARTIAL = "partial", "Partial: the sum of the chosen options' credit (never below 0)"

    class TextMatch(models.TextChoices):
        NORMALIZED = "normalized", "Normalised (case, spacing and accents ignored)"
        EXACT = "exact", "Exact"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    prompt = models.TextField(help_text="Shown to the candidate. Plain text; blank lines separate paragraphs.")
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    points = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(100.0)])
    explanation = models.TextField(blank=True, help_text="Shown after grading.")
    skills = models.ManyToManyField(Skill, related_name="questions", blank=True)
    category = models.CharField(max_length=200, blank=True, help_text="Free-form category path, e.g. Statistics/Inference.")
    choice_scoring = models.CharField(
        max_length=20, choices=ChoiceScoring.choices, default=ChoiceScoring.ALL_OR_NOTHING,
        help_text="Multiple choice: how chosen options turn into credit.",
    )
    text_match = models.CharField(max_length=12, choices=TextMatch.choices, default=TextMatch.NORMALIZED)
    rubric = models.TextField(blank=True, help_text="Free text: what a reviewer grades against.")
    source = models.CharField(max_length=300, blank=True, help_text="Where it was imported from.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    hints = models.JSONField(default=list, blank=True, help_text="Hints, in the order they may be revealed.")
    estimated_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    author = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="authored_questions"
    )
    exposure_count = models.PositiveIntegerField(default=0, help_text="How many attempts have shown it.")

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class Option(BaseModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=1000)
    is_correct = models.BooleanField(default=False)
    fraction = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-1.0), MaxValueValidator(1.0)],
        help_text="Credit for choosing it, -1..1. Empty: 1 if correct, else 0.",
    )
    feedback = models.CharField(max_length=1000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    @property
    def credit(self) -> float:
        if self.fraction is not None:
            return self.fraction
        return 1.0 if self.is_correct else 0.0

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.text


class NumericSpec(BaseModel):
    """The answer to a numeric question and how close an answer must be."""

    class Policy(models.TextChoices):
        EITHER = "either", "Within the absolute or the relative tolerance"
        ABSOLUTE = "absolute", "Within the absolute tolerance"
        RELATIVE = "relative", "Within the relative tolerance"
        SIG_FIGS = "sig_figs", "Equal when both are rounded to N significant figures"
        DECIMALS = "decimals", "Equal when both are rounded to N decimal places"

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="numeric")
    answer = models.FloatField()
    policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.EITHER)
    abs_tol = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    rel_tol = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    digits = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(15)], help_text="N for significant figures or decimals."
    )
    alternatives = models.JSONField(
        default=list, blank=True,
        help_text='Other accepted answers with partial credit: [{"value": 2.0, "abs_tol": 0.5, "fraction": 0.5}].',
    )
    unit = models.CharField(max_length=30, blank=True)

    def __str__(self):
        return f"{self.answer} ({self.get_policy_display()})"


class TextAnswer(BaseModel):
    """An accepted short-text answer. `*` matches any run of characters."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="text_answers")
    text = models.CharField(max_length=500)
    fraction = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    feedback = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-fraction", "id"]

    def __str__(self):
        return self.text
