"""Server-rendered pages. JavaScript (static/prep/attempt.js) enhances them through the API;
every form also works without it."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import selectors, services
from assessments.services.integrity import integrity_note_save
from assessments.services.practice import practice_check, practice_start
from assessments.apis import QuestionSerializer
from assessments.models import Assessment, Attempt, Question, Skill
from assessments.services.invitations import InvitationLinkError, invitation_check, invitation_redeem
from common.bulkhead import Busy, papers
from common.exceptions import ApplicationError


def invitation_open(request, token: str):
    """The link in an invitation e-mail. GET shows a page with a button (mail scanners that
    prefetch links must not use them up); POST signs its candidate in and opens the assessment.
    Either way an unusable link gets a page that says why (unknown, withdrawn, expired, used)."""
    if request.method != "POST":
        try:
            invitation = invitation_check(token=token, user=request.user if request.user.is_authenticated else None)
        except InvitationLinkError as exc:
            return render(request, "assessments/invitation_invalid.html", {"message": exc.message, "reason": exc.reason},
                          status=exc.status)
        return render(request, "assessments/invitation_open.html", {"invitation": invitation})
    try:
        invitation = invitation_redeem(token=token, user=request.user if request.user.is_authenticated else None)
    except InvitationLinkError as exc:
        return render(request, "assessments/invitation_invalid.html", {"message": exc.message, "reason": exc.reason},
                      status=exc.status)
    if request.user.pk != invitation.candidate_id:
        login(request, invitation.candidate, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("assessment-detail", assessment_id=invitation.assessment_id)


@login_required
def home(request):
    assessments = selectors.assessment_list_for_user(user=request.user)
    recent = []
    if request.user.has_perm("assessments.view_attempt"):
        recent = Attempt.objects.select_related("candidate", "assessment").order_by("-started_at")[:20]
    return render(request, "assessments/home.html", {"assessments": assessments, "recent_attempts": recent})


@login_required
def assessment_detail(request, assessment_id: int):
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    access = selectors.assessment_access(user=request.user, assessment=assessment)
    attempts = Attempt.objects.filter(candidate=request.user, assessment=assessment).order_by("-started_at")
    return render(
        request,
        "assessments/assessment_detail.html",
        {
            "assessment": assessment,
            "access": access,
            "attempts": attempts,
            "question_count": selectors.assessment_question_count(assessment=assessment),
            "time_limit_minutes": round((assessment.time_limit + access.extra_time).total_seconds() / 60),
        },
    )


@login_required
@require_POST
def attempt_start(request, assessment_id: int):
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    try:
        with papers:
            attempt, _ = services.attempt_start(candidate=request.user, assessment=assessment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("assessment-detail", assessment_id=assessment.id)
    return redirect("attempt-take", attempt_id=attempt.id)


@login_required
def attempt_take(request, attempt_id: int):
    attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS or attempt.candidate_id != request.user.id:
        return redirect("attempt-results", attempt_id=attempt.id)
    try:
        with papers:  # the whole paper rendered: the other half of a start from the page
            return _attempt_page(request, attempt)
    except Busy as exc:
        messages.error(request, exc.message)
        return redirect("assessment-detail", assessment_id=attempt.assessment_id)


def _attempt_page(request, attempt: Attempt):
    responses = selectors.attempt_responses(attempt=attempt)
    latest = selectors.submission_latest(attempt=attempt)
    feedback = request.session.pop(f"practice-feedback-{attempt.id}", {})
    items = [
        {
            "response": r,
            "question": r.question,
            "data": QuestionSerializer(r.question).data,
            "latest_submission": latest.get(r.question_id),
            "feedback": feedback.get(str(r.question_id)),
        }
        for r in responses
    ]
    practice = attempt.assessment.mode == Assessment.Mode.PRACTICE
    return render(request, "assessments/attempt.html",
                  {"attempt": attempt, "items": items, "Kind": Question.Kind, "practice": practice})


@login_required
@require_POST
def practice_check_page(request, attempt_id: int, question_id: int):
    """The no-JavaScript path of "Check my answer": the feedback shows on the page it returns to."""
    attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
    try:
        feedback = practice_check(attempt_id=attempt.id, question_id=question_id)
        request.session[f"practice-feedback-{attempt.id}"] = {str(question_id): feedback}
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("attempt-take", args=[attempt.id]) + f"#q{question_id}")


@login_required
def practice(request):
    """Practice by skill area and difficulty, with the readiness view saying what to practise next."""
    if request.method == "POST":
        skill = Skill.objects.filter(slug=request.POST.get("skill", "")).first()
        try:
            with papers:
                attempt = practice_start(candidate=request.user, skill=skill,
                                         difficulty=request.POST.get("difficulty", ""))
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("practice")
        return redirect("attempt-take", attempt_id=attempt.id)
    readiness = selectors.skill_readiness(candidate=request.user)
    recent = (Attempt.objects.filter(candidate=request.user, assessment__mode=Assessment.Mode.PRACTICE)
              .select_related("assessment").order_by("-started_at")[:10])
    return render(request, "assessments/practice.html", {
        "readiness": readiness, "recent": recent, "difficulties": Question.Difficulty.choices,
    })


@login_required
@require_POST
def response_save(request, attempt_id: int, question_id: int):
    """The no-JavaScript path of autosave: one form per question."""
    attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
    # Each kind's form posts its own fields; answer_clean reads only those of the question's kind.
    answer = {k: v for k in ("choice", "value", "text", "source", "language") if (v := request.POST.get(k)) is not None}
    answer["choices"] = request.POST.getlist("choices")
    answer["parts"] = {k.removeprefix("part-"): v for k, v in request.POST.items() if k.startswith("part-")}
    try:
        services.response_save(attempt_id=attempt.id, question_id=question_id, answer=answer)
        messages.success(request, "Answer saved.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        if exc.status == 409:
            return redirect("attempt-results", attempt_id=attempt.id)
    return redirect(reverse("attempt-take", args=[attempt.id]) + f"#q{question_id}")


@login_required
@require_POST
def attempt_submit(request, attempt_id: int):
    attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
    try:
        services.attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    except ApplicationError as exc:
        messages.info(request, exc.message)
    return redirect("attempt-results", attempt_id=attempt.id)


@login_required
def attempt_results(request, attempt_id: int):
    attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
    if attempt.state == Attempt.State.IN_PROGRESS:
        if attempt.candidate_id == request.user.id:
            return redirect("attempt-take", attempt_id=attempt.id)
        report = None
    else:
        report = selectors.attempt_report(attempt=attempt, staff=attempt.candidate_id != request.user.id)
    integrity = selectors.attempt_integrity(attempt=attempt) if attempt.assessment.records_integrity else None
    return render(request, "assessments/results.html", {"attempt": attempt, "report": report, "integrity": integrity,
                                                         "own": attempt.candidate_id == request.user.id})


@login_required
@require_POST
def integrity_note(request, attempt_id: int):
    attempt = selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id, to_change=True)
    try:
        integrity_note_save(attempt=attempt, note=request.POST.get("note", ""))
        messages.success(request, "Your note is saved; reviewers see it beside what was recorded.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("attempt-results", args=[attempt.id]) + "#recorded")
