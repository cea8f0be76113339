from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import candidate_for_email
from assessments.models import Assessment, Attempt, Response, Skill
from assessments.services.reviews import response_review
from assessments.services.invitations import invitation_create
from common.exceptions import ApplicationError, Conflict, NotFound
from hiring.models import DEFAULT_STAGES, RATING_ANCHORS, Application, Comment, Role, Scorecard, Stage, StageTransition


@transaction.atomic
def role_create(*, slug: str, title: str, description: str = "") -> Role:
    """A role with the default five stages (see DESIGN.md)."""
    role = Role.objects.create(slug=slug, title=title, description=description)
    stages_default(role=role)
    return role


def stages_default(*, role: Role) -> None:
    """Give a role the default pipeline of DESIGN.md."""
    for order, (stage_slug, name, skills, scorecards) in enumerate(DEFAULT_STAGES):
        stage = Stage.objects.create(role=role, slug=stage_slug, name=name, order=order, uses_scorecards=scorecards)
        stage.skills.set(Skill.objects.filter(slug__in=[s for s in skills.split(",") if s]))


@transaction.atomic
def application_create(*, role: Role, candidate: User, actor: User | None = None) -> Application:
    first = role.stages.order_by("order").first()
    application = Application.objects.create(role=role, candidate=candidate, stage=first)
    StageTransition.objects.create(
        application=application, actor=actor, to_stage=first, to_state=Application.State.ACTIVE, note="Applied"
    )
    _stage_entered(application=application)
    return application


def _locked(application_id: int) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("stage", "role").get(pk=application_id)


@transaction.atomic
def application_move(*, application_id: int, to_stage: Stage, actor: User | None, note: str = "") -> Application:
    """Move an active application to another stage of its role, with an audit row."""
    application = _locked(application_id)
    if application.state != Application.State.ACTIVE:
        raise Conflict(f"This application is {application.get_state_display().lower()}.", {"state": application.state})
    if to_stage.role_id != application.role_id:
        raise ApplicationError("That stage belongs to another role.")
    if to_stage.id == application.stage_id:
        raise ApplicationError(f"The candidate is already at {to_stage.name}.")
    from_stage = application.stage
    application.stage = to_stage
    application.save(update_fields=["stage", "updated_at"])
    StageTransition.objects.create(
        application=application, actor=actor, from_stage=from_stage, to_stage=to_stage,
        from_state=application.state, to_state=application.state, note=note,
    )
    _stage_entered(application=application)
    return application


@transaction.atomic
def application_close(*, application_id: int, state: str, actor: User | None, note: str = "") -> Application:
    """End an application: hired, rejected or withdrawn (terminal)."""
    application = _locked(application_id)
    if state not in Application.TRANSITIONS[application.state]:
        raise Conflict(f"An application cannot go from {application.state} to {state}.", {"state": application.state})
    from_state = application.state
    application.state = state
    application.save(update_fields=["state", "updated_at"])
    StageTransition.objects.create(
        application=application, actor=actor, from_stage=application.stage, to_stage=application.stage,
        from_state=from_state, to_state=state, note=note,
    )
    return application


TERMINAL_STATES = (Application.State.HIRED, Application.State.REJECTED, Application.State.WITHDRAWN)


@transaction.atomic
def applications_send(*, applications: list[Application], target: str, actor: User | None,
                      note: str = "") -> list[Application]:
    """Move each application to the stage of its role named `target`, or close it when `target`
    is hired / rejected / withdrawn: all of them, or none if one cannot go."""
    sent = []
    for application in applications:
        if target in TERMINAL_STATES:
            sent.append(application_close(application_id=application.id, state=target, actor=actor, note=note))
            continue
        stage = application.role.stages.filter(slug=target).first()
        if stage is None:
            raise ApplicationError("No such stage in this role.",
                                   {"stage": target, "stages": list(application.role.stages.values_list("slug", flat=True))})
        sent.append(application_move(application_id=application.id, to_stage=stage, actor=actor, note=note))
    return sent


def _stage_entered(*, application: Application) -> None:
    application.stage_entered_at = timezone.now()
    application.save(update_fields=["stage_entered_at", "updated_at"])
    stage = application.stage
    if stage.invite_on_enter and stage.assessment_id:
        invitation_create(assessment=stage.assessment, candidate=application.candidate,
                          send=bool(application.candidate.email))


@transaction.atomic
def attempt_graded_apply_rules(*, attempt_id: int) -> list[Application]:
    """Advance applications whose current stage's assessment this attempt passed, where the stage says so."""
    attempt = Attempt.objects.select_related("assessment").get(pk=attempt_id)
    if attempt.state != Attempt.State.GRADED or not attempt.passed:
        return []
    moved = []
    applications = Application.objects.filter(
        candidate_id=attempt.candidate_id, state=Application.State.ACTIVE,
        stage__assessment_id=attempt.assessment_id, stage__advance_on_pass=True,
    ).select_related("stage", "role")
    for application in applications:
        entered = application.transitions.filter(to_stage=application.stage).order_by("-created_at").first()
        if entered is not None and attempt.started_at < entered.created_at:
            continue  # an attempt from before the candidate reached this stage does not count
        following = application.role.stages.filter(order__gt=application.stage.order).order_by("order").first()
        if following is None:
            continue
        note = (f"Automatic: scored {attempt.percent}% on {attempt.assessment.title}, "
                f"pass mark {attempt.assessment.pass_mark_percent}%.")
        moved.append(application_move(application_id=application.id, to_stage=following, actor=None, note=note))
    return moved


@transaction.atomic
def scorecard_submit(*, application: Application, stage: Stage, interviewer: User, ratings: dict[str, int],
                     recommendation: str, notes: str = "") -> Scorecard:
    """An interviewer's ratings (1–4 per skill area assessed at the stage); submitting again replaces them."""
    if stage.role_id != application.role_id:
        raise ApplicationError("That stage belongs to another role.")
    if not stage.uses_scorecards:
        raise ApplicationError(f"{stage.name} does not use scorecards.")
    allowed = set(stage.skills.values_list("slug", flat=True))
    unknown = set(ratings) - allowed
    if unknown:
        raise ApplicationError("These skills are not assessed at this stage.", {"skills": sorted(unknown)})
    bad = {k: v for k, v in ratings.items() if v not in RATING_ANCHORS}
    if bad:
        raise ApplicationError("Ratings are whole numbers from 1 to 4.", {"ratings": bad})
    if recommendation not in Scorecard.Recommendation.values:
        raise ApplicationError("Unknown recommendation.", {"allowed": Scorecard.Recommendation.values})
    scorecard, _ = Scorecard.objects.update_or_create(
        application=application, stage=stage, interviewer=interviewer,
        defaults={"ratings": ratings, "recommendation": recommendation, "notes": notes,
                  "overall": round(sum(ratings.values()) / len(ratings), 3) if ratings else None},
    )
    return scorecard


STAGE_FIELDS = {"name", "assessment_id", "uses_scorecards", "invite_on_enter", "advance_on_pass"}


@transaction.atomic
def stage_update(*, stage: Stage, **fields) -> Stage:
    """Rename a stage, attach its assessment, switch its rules on or off."""
    unknown = set(fields) - STAGE_FIELDS
    if unknown:
        raise ApplicationError("These fields cannot be changed here.", {"fields": sorted(unknown)})
    if fields.get("assessment_id") is not None and not Assessment.objects.filter(pk=fields["assessment_id"]).exists():
        raise ApplicationError("No such assessment.", {"assessment_id": fields["assessment_id"]})
    for name, value in fields.items():
        setattr(stage, name, value)
    if stage.invite_on_enter and stage.assessment_id is None:
        raise ApplicationError("Inviting on entry needs the stage's assessment.", {"stage": stage.slug})
    if stage.advance_on_pass and stage.assessment_id is None:
        raise ApplicationError("Advancing on a pass needs the stage's assessment.", {"stage": stage.slug})
    stage.save()
    return stage


@transaction.atomic
def application_add(*, role: Role, email: str, name: str = "", actor: User | None = None) -> Application:
    """Add a candidate to a role by e-mail (their account is made if new)."""
    candidate = candidate_for_email(email=email, name=name)
    if candidate.is_staff or candidate.is_superuser:
        raise ApplicationError("Staff accounts cannot be candidates.", {"email": email})
    if Application.objects.filter(role=role, candidate=candidate).exists():
        raise Conflict("This candidate has already applied to this role.", {"email": email})
    return application_create(role=role, candidate=candidate, actor=actor)


@transaction.atomic
def applications_add(*, role: Role, people: list[tuple[str, str]], actor: User | None = None) -> list[Application]:
    """Add several candidates, (name, e-mail) each: all of them, or none if one cannot be added."""
    return [application_add(role=role, email=email, name=name, actor=actor) for name, email in people]


@transaction.atomic
def interviewers_assign(*, application: Application, usernames: list[str], actor: User) -> list[User]:
    """Set who interviews this candidate (they may then see the candidate's record)."""
    users = list(User.objects.filter(username__in=set(usernames), is_active=True))
    missing = sorted(set(usernames) - {u.username for u in users})
    if missing:
        raise ApplicationError("No such user(s).", {"usernames": missing})
    not_staff = sorted(u.username for u in users if not u.is_staff)
    if not_staff:
        raise ApplicationError("Interviewers are staff accounts.", {"usernames": not_staff})
    before = set(application.interviewers.values_list("username", flat=True))
    application.interviewers.set(users)
    after = {u.username for u in users}
    if before != after:
        StageTransition.objects.create(
            application=application, actor=actor, from_stage=application.stage, to_stage=application.stage,
            from_state=application.state, to_state=application.state,
            note="Interviewers: " + (", ".join(sorted(after)) or "none"),
        )
    return users


def comment_add(*, application: Application, author: User, body: str) -> Comment:
    if not body.strip():
        raise ApplicationError("A comment needs some text.", {"field": "body"})
    return Comment.objects.create(application=application, author=author, body=body.strip())


@transaction.atomic
def response_override(*, application: Application, response_id: int, reviewer: User, score: float, note: str) -> Response:
    """Set a score by hand on one of this candidate's responses; the note is required and kept."""
    if not Response.objects.filter(pk=response_id, attempt__candidate_id=application.candidate_id).exists():
        raise NotFound("Response not found.")
    response = response_review(response_id=response_id, reviewer=reviewer, score=score, note=note)
    response.attempt.refresh_from_db()
    return response
