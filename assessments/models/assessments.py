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
