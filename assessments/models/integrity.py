"""Integrity signals, recorded with the candidate told up front: what the page saw (pastes,
leaving the page, code snapshots for playback) and code that matches another candidate's.
Signals inform a reviewer; nothing is decided on them automatically."""

from django.db import models

from assessments.models.attempts import Attempt, Submission
from assessments.models.questions import Question
from common.models import BaseModel


class IntegrityEvent(BaseModel):
    class Kind(models.TextChoices):
        PASTE = "paste", "Pasted text"
        FOCUS_LOST = "focus_lost", "Left the page"
        SNAPSHOT = "snapshot", "Code snapshot"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="integrity_events")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(help_text="When it happened (server time when received, if the page's clock is off).")
    size = models.PositiveIntegerField(null=True, blank=True, help_text="Paste: characters pasted.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Focus lost: for how long.")
    content = models.TextField(blank=True, help_text="Snapshot: the code at that moment.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["attempt", "kind"])]


class SimilarityFlag(BaseModel):
    """Two final submissions to the same question whose code matches beyond the threshold."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+",
                                 help_text="The live question (all its versions are compared together).")
    submission_a = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    submission_b = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    regions = models.JSONField(default=list, help_text="[[a_start, a_end, b_start, b_end], ...] matching line ranges")

    class Meta:
        ordering = ["-score"]
        constraints = [models.UniqueConstraint(fields=["submission_a", "submission_b"], name="similarityflag_unique_pair")]
