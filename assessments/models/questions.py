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
