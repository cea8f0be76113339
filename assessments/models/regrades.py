"""Regrades: the scores an assessment's attempts would get against a question's new version,
computed first and shown as a diff, applied only when staff accept them."""

from django.conf import settings
from django.db import models

from assessments.models.assessments import Assessment
from assessments.models.attempts import Response
from assessments.models.questions import Question
from common.models import BaseModel


class Regrade(BaseModel):
    class State(models.TextChoices):
        COMPUTING = "computing", "Computing new scores"
        READY = "ready", "Ready for review"
        ACCEPTED = "accepted", "Accepted"
        DISCARDED = "discarded", "Discarded"
        FAILED = "failed", "Failed"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="regrades")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="regrades",
                                 help_text="The version the responses are regraded against.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.COMPUTING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Regrade of {self.question} in {self.assessment} ({self.get_state_display()})"


class RegradeItem(BaseModel):
    regrade = models.ForeignKey(Regrade, on_delete=models.CASCADE, related_name="items")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey("assessments.Submission", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Code: the final submission that was judged again.")
    old_score = models.FloatField(null=True)
    new_score = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Code: the judge's result against the new version.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["regrade", "response"], name="regradeitem_unique")]

    @property
    def changed(self) -> bool:
        return self.new_score is not None and (self.old_score is None or abs(self.new_score - self.old_score) > 1e-9)
