"""What the hiring team reads: a role's candidates and one candidate's whole record. Every
function takes the reading user and shows only what hiring.access lets them see."""

from __future__ import annotations

from django.db.models import Avg, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import User
from assessments.models import Attempt
from assessments.selectors import attempt_integrity, attempt_report
from hiring.access import applications_visible_to, may_manage, sees_every_application
from hiring.models import RATING_ANCHORS, Application, Comment, Role, Scorecard, Stage, StageTransition

ORDERINGS = {
    "name": ("candidate__last_name", "candidate__first_name", "candidate__username"),
    "-name": ("-candidate__last_name", "-candidate__first_name", "-candidate__username"),
    "stage": ("stage__order", "id"),
    "-stage": ("-stage__order", "-id"),
    "score": (F("best_percent").asc(nulls_last=True), "id"),
    "-score": (F("best_percent").desc(nulls_last=True), "id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
MAX_PAGE = 200


def roles_visible_to(user: User) -> QuerySet[Role]:
    if sees_every_application(user):
        return Role.objects.all()
    return Role.objects.filter(applications__in=applications_visible_to(user)).distinct()


def role_applications(*, user: User, role: Role, stage: str = "", state: str = "", search: str = "",
                      ordering: str = "-updated", limit: int = 50, offset: int = 0) -> dict:
    """One page of a role's candidates with what a recruiter scans for: stage, state, time in
    stage, best assessment result and scorecard average. A fixed number of queries whatever the
    page size (the count, the page, its interviewers)."""
    applications = applications_visible_to(user).filter(role=role)
    if stage:
        applications = applications.filter(stage__slug=stage)
    if state:
        applications = applications.filter(state=state)
    if search.strip():
        for word in search.split()[:5]:
            applications = applications.filter(
                Q(candidate__username__icontains=word) | Q(candidate__email__icontains=word)
                | Q(candidate__first_name__icontains=word) | Q(candidate__last_name__icontains=word)
            )
    total = applications.count()
    role_assessments = Stage.objects.filter(role=role, assessment__isnull=False).values("assessment_id")
    best = (  # the candidate's best graded attempt on one of this role's assessments
        Attempt.objects.filter(candidate=OuterRef("candidate_id"), assessment__in=role_assessments,
                               state=Attempt.State.GRADED, max_score__gt=0)
        .annotate(pct=100.0 * F("score") / F("max_score")).order_by("-pct").values("pct")[:1]
    )
    rating = Scorecard.objects.filter(application=OuterRef("pk")).values("application").annotate(
        avg=Avg("overall")).values("avg")
    page = list(
        applications.select_related("candidate", "stage")
        .annotate(best_percent=Subquery(best), scorecard_avg=Subquery(rating),
                  scorecard_count=Count("scorecards", distinct=True))
        .order_by(*ORDERINGS.get(ordering, ORDERINGS["-updated"]))
        .prefetch_related(Prefetch("interviewers", queryset=User.objects.only("id", "username", "first_name", "last_name", "email")))
        [offset: offset + min(max(limit, 1), MAX_PAGE)]
    )
    return {
        "count": total,
        "results": [
            {
                "id": a.id,
                "candidate": _person(a.candidate),
                "stage": {"slug": a.stage.slug, "name": a.stage.name, "order": a.stage.order},
                "state": a.state,
                "stage_entered_at": a.stage_entered_at,
                "best_percent": round(a.best_percent, 1) if a.best_percent is not None else None,
                "scorecard_average": round(a.scorecard_avg, 2) if a.scorecard_avg is not None else None,
                "scorecards": a.scorecard_count,
                "interviewers": [_person(u) for u in a.interviewers.all()],
                "updated_at": a.updated_at,
            }
            for a in page
        ],
    }


def _person(user: User) -> dict:
    return {"id": user.id, "username": user.username, "name": user.get_full_name() or user.username,
            "email": user.email}


def application_detail(*, user: User, application: Application) -> dict:
    """The candidate page: pipeline position, audit trail, every attempt with each answer and
    submission (hidden tests included), scorecards, comments. `application` is already visible."""
    stages = list(Stage.objects.filter(role_id=application.role_id).order_by("order").prefetch_related("skills"))
    attempts = list(
        Attempt.objects.filter(candidate_id=application.candidate_id).select_related("assessment", "candidate")
        .order_by("-started_at")
    )
    scorecards = list(
        Scorecard.objects.filter(application=application).select_related("interviewer", "stage").order_by("stage__order", "id")
    )
    # Someone who does not see every application (an interviewer) learns that code matches
    # another candidate's, not whose it is or what it says (hiring.access).
    others = None if sees_every_application(user) else set(
        Attempt.objects.filter(candidate__applications__in=applications_visible_to(user)).values_list("id", flat=True))
    return {
        "id": application.id,
        "candidate": _person(application.candidate),
        "role": {"id": application.role_id, "slug": application.role.slug, "title": application.role.title},
        "state": application.state,
        "stage": {"slug": application.stage.slug, "name": application.stage.name},
        "stage_entered_at": application.stage_entered_at,
        "pipeline": [
            {"slug": s.slug, "name": s.name, "order": s.order, "status": _stage_status(application, s),
             "uses_scorecards": s.uses_scorecards, "assessment_id": s.assessment_id,
             "skills": [{"slug": k.slug, "name": k.name} for k in s.skills.all()]}
            for s in stages
        ],
        "transitions": [
            {"at": t.created_at, "actor": str(t.actor) if t.actor_id else "Prep (automatic)",
             "from_stage": t.from_stage.name if t.from_stage_id else None, "to_stage": t.to_stage.name if t.to_stage_id else None,
             "from_state": t.from_state, "to_state": t.to_state, "note": t.note}
            for t in StageTransition.objects.filter(application=application).select_related("actor", "from_stage", "to_stage")
            .order_by("created_at", "id")
        ],
        "interviewers": [_person(u) for u in application.interviewers.all()],
        "attempts": [attempt_report(attempt=a, staff=True)
                     | {"integrity": attempt_integrity(attempt=a, with_snapshots=True, others_visible=others)}
                     for a in attempts],
        "scorecards": [
            {"id": c.id, "stage": c.stage.name, "stage_slug": c.stage.slug, "interviewer": _person(c.interviewer),
             "ratings": c.ratings, "overall": c.overall, "recommendation": c.recommendation,
             "recommendation_display": c.get_recommendation_display(), "notes": c.notes, "updated_at": c.updated_at}
            for c in scorecards
        ],
        "rating_anchors": RATING_ANCHORS,
        "comments": [
            {"id": c.id, "author": _person(c.author), "body": c.body, "at": c.created_at}
            for c in Comment.objects.filter(application=application).select_related("author")
        ],
        "may_manage": may_manage(user),
    }


def _stage_status(application: Application, stage: Stage) -> str:
    if stage.id == application.stage_id:
        return "current" if application.state == Application.State.ACTIVE else application.state
    return "done" if stage.order < application.stage.order else "next"
