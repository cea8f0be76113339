from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import BaseModel

# The default pipeline (DESIGN.md); a role may rename or reorder its own copy.
# (slug, name, skills assessed, interviewers fill scorecards)
DEFAULT_STAGES = [
    ("application", "Application", "", False),
    ("screening-call", "Screening call", "collaboration,domain-knowledge", True),
    ("technical-assessment", "Technical assessment", "statistical-analysis,programming,machine-learning", False),
    ("on-site-interviews", "On-site interviews", "statistical-analysis,programming,data-visualization,machine-learning", True),
    ("final-discussion", "Final discussion", "collaboration,data-ethics", True),
]

# Anchors of the 1–4 scorecard scale, the same for every skill area.
RATING_ANCHORS = {
    1: "Strong no: clear gaps, would need close supervision",
    2: "Leaning no: some ability, below the bar for this role",
    3: "Leaning yes: meets the bar, works independently",
    4: "Strong yes: well above the bar, could teach others",
}


class Role(BaseModel):
    """A job opening with its own ordered stages."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_open = models.BooleanField(default=True)

    def __str__(self):
        return self.title


class Stage(BaseModel):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="stages")
    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField()
    skills = models.ManyToManyField("assessments.Skill", blank=True, related_name="stages")
    assessment = models.ForeignKey(
        "assessments.Assessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="stages"
    )
    uses_scorecards = models.BooleanField(default=False, help_text="Interviewers fill scorecards at this stage.")
    # Rules staff can switch on.
    invite_on_enter = models.BooleanField(
        default=False, help_text="Invite the candidate to this stage's assessment when they reach the stage."
    )
    advance_on_pass = models.BooleanField(
        default=False, help_text="Move the candidate to the next stage when their attempt reaches the pass mark."
    )

    class Meta:
        ordering = ["role", "order"]
        constraints = [
            models.UniqueConstraint(fields=["role", "slug"], name="stage_unique_slug"),
            models.UniqueConstraint(fields=["role", "order"], name="stage_unique_order"),
        ]

    def __str__(self):
        return f"{self.role}: {self.name}"


class Application(BaseModel):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        HIRED = "hired", "Hired"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {
        State.ACTIVE: {State.HIRED, State.REJECTED, State.WITHDRAWN},
        State.HIRED: set(),
        State.REJECTED: set(),
        State.WITHDRAWN: set(),
    }

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="applications")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="applications")
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    interviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="interviews",
        help_text="Interviewers who may see this candidate (people who see every application need not be listed).",
    )
    stage_entered_at = models.DateTimeField(null=True, blank=True, help_text="When the application reached its stage.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "candidate"], name="application_unique")]
        indexes = [models.Index(fields=["role", "state", "stage"])]
        permissions = [("view_assigned_application", "Can view the applications they are assigned to")]

    def __str__(self):
        return f"{self.candidate} → {self.role}"


class StageTransition(BaseModel):
    """The audit row for every move of an application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_stage = models.ForeignKey(Stage, null=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, null=True, on_delete=models.PROTECT, related_name="+")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(to_state=""), name="transition_has_target_state"),
        ]


class Scorecard(BaseModel):
    """An interviewer's ratings of one candidate at one stage: 1–4 per skill area, with notes."""

    class Recommendation(models.TextChoices):
        STRONG_NO = "strong_no", "Strong no"
        NO = "no", "No"
        YES = "yes", "Yes"
        STRONG_YES = "strong_yes", "Strong yes"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scorecards")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="scorecards")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scorecards")
    ratings = models.JSONField(default=dict, help_text="{skill slug: 1..4}")
    overall = models.FloatField(null=True, blank=True, help_text="The mean of the ratings.")
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "stage", "interviewer"], name="scorecard_one_per_interviewer")
        ]


class Comment(BaseModel):
    """A note staff leave on an application (visible to everyone who may see it)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author} on {self.application}"
