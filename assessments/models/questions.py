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
        DATA_ANALYSIS = "data_analysis", "Data analysis (a per-candidate dataset, numeric answers)"

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

    generator = models.TextField(
        blank=True,
        help_text="Parameterized item: Python defining generate(rng) -> {params, answer(s), correct, datasets}. "
                  "It runs in the grading sandbox; {{name}} in the text is replaced by params[name].",
    )
    variant_count = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(20), MaxValueValidator(500)],
        help_text="How many variants (seeds 0..N-1) are generated and validated.",
    )

    # Versions: the row a candidate was shown never changes. Editing a question that has been
    # shown archives its previous content as a retired row pointing here (services.versions).
    version = models.PositiveIntegerField(default=1, editable=False)
    version_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="past_versions", editable=False,
        help_text="Set on archived versions: the live question they are a past version of.",
    )

    # The last validation (services.validation), run by a grading worker.
    check_ok = models.BooleanField(null=True, editable=False)
    check_detail = models.TextField(blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "difficulty"])]

    def __str__(self):
        return self.title if self.version_of_id is None else f"{self.title} (v{self.version})"

    def save(self, *args, **kwargs):
        if getattr(self, "rendered_variant", None) is not None:
            raise RuntimeError("a question shown as one of its variants is for display only")
        super().save(*args, **kwargs)

    @property
    def family_id(self) -> int:
        """The live question's id, shared by all its versions."""
        return self.version_of_id or self.id

    @property
    def is_parameterized(self) -> bool:
        return bool(self.generator.strip())


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
    answer = models.FloatField(null=True, blank=True, help_text="Empty for a parameterized question: each variant has its own.")
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


class AnswerPart(BaseModel):
    """One numeric answer of a data-analysis item (a p-value, an interval bound, a coefficient).
    The expected value comes from the question's generator, per variant."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="parts")
    key = models.SlugField(max_length=50, help_text="The generator's answers[key].")
    label = models.CharField(max_length=200)
    policy = models.CharField(max_length=10, choices=NumericSpec.Policy.choices, default=NumericSpec.Policy.EITHER)
    abs_tol = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    rel_tol = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    digits = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(15)])
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    unit = models.CharField(max_length=30, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="answerpart_unique_key")]

    def __str__(self):
        return self.label


class QuestionVariant(BaseModel):
    """One instance of a parameterized question: what its generator returned for one seed.
    Made by a grading worker (the generator runs in the sandbox), never by the web process."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="variants")
    index = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    params = models.JSONField(default=dict)
    answers = models.JSONField(default=dict, help_text='{"answer": x} | {"answers": {key: x}} | {"correct": [i]}')
    datasets = models.JSONField(default=dict, help_text="file name -> CSV text")

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["question", "index"], name="questionvariant_unique_index")]

    def __str__(self):
        return f"{self.question} · variant {self.index}"
