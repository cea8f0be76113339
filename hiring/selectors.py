from django.db.models import Prefetch, Sum

from accounts.models import User
from assessments.models import Assessment, Attempt, Invitation, Response
from hiring.models import Application, Stage


def candidate_progress(*, candidate: User) -> dict:
    """A candidate's own view: each application's stages (done, current, next), upcoming
    assessments, score history and a per-skill profile from graded answers."""
    applications = (
        Application.objects.filter(candidate=candidate)
        .select_related("role", "stage")
        .prefetch_related(Prefetch("role__stages", queryset=Stage.objects.order_by("order")))
        .order_by("-created_at")
    )
    pipeline = []
    for application in applications:
        stages = []
        for stage in application.role.stages.all():
            if application.state != Application.State.ACTIVE:
                status = "done" if stage.order <= application.stage.order else "closed"
            elif stage.order < application.stage.order:
                status = "done"
            elif stage.id == application.stage_id:
                status = "current"
            else:
                status = "next"
            stages.append({"name": stage.name, "status": status})
        pipeline.append({
            "role": application.role.title, "state": application.state,
            "state_display": application.get_state_display(), "stages": stages,
        })

    taken = set(Attempt.objects.filter(candidate=candidate).exclude(state=Attempt.State.IN_PROGRESS)
                .values_list("assessment_id", flat=True))
    upcoming = [
        {"assessment_id": i.assessment_id, "title": i.assessment.title, "available_until": i.available_until,
         "available_from": i.available_from}
        for i in Invitation.objects.filter(candidate=candidate, revoked_at__isnull=True, assessment__is_published=True)
        .select_related("assessment").order_by("available_until", "id")
        if i.assessment_id not in taken
    ]
    shown = Assessment.CandidateResults.NONE  # an assessment whose results the team keeps shows no score here
    history = [
        {"attempt_id": a.id, "title": a.assessment.title, "date": a.submitted_at or a.started_at,
         "percent": None if a.assessment.candidate_results == shown else a.percent,
         "passed": None if a.assessment.candidate_results == shown else a.passed}
        for a in Attempt.objects.filter(candidate=candidate, state=Attempt.State.GRADED)
        .select_related("assessment").order_by("submitted_at", "id")
    ]
    skills = (
        Response.objects.filter(attempt__candidate=candidate, attempt__state=Attempt.State.GRADED, score__isnull=False)
        .exclude(attempt__assessment__candidate_results=shown)
        .values("question__skills__slug", "question__skills__name")
        .annotate(score=Sum("score"), max_score=Sum("max_score"))
        .order_by("question__skills__name")
    )
    profile = [
        {"skill": row["question__skills__slug"], "name": row["question__skills__name"],
         "percent": round(100 * row["score"] / row["max_score"], 1) if row["max_score"] else None}
        for row in skills if row["question__skills__slug"]
    ]
    return {"pipeline": pipeline, "upcoming": upcoming, "history": history, "skills": profile}
