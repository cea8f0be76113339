"""The hiring team's pages: roles, a role's candidates, one candidate's record. Every form posts
to the same services as the staff API; hiring.access decides what each person sees."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError
from hiring import services
from hiring.access import application_get_for_staff, applications_get_for_staff, is_hiring_staff, may_manage
from assessments.models import Assessment
from hiring.models import RATING_ANCHORS, Application, Role, Scorecard
from hiring.reports_pdf import candidate_report_pdf
from hiring.selectors_staff import ORDERINGS, application_detail, role_applications, roles_visible_to

PAGE = 50


def hiring_staff(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_hiring_staff(request.user):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            raise
    return wrapped


@hiring_staff
@require_POST
def role_new(request):
    if not may_manage(request.user):
        raise PermissionDenied
    title = request.POST.get("title", "").strip()
    slug = slugify(request.POST.get("slug", "") or title)[:100]
    if not title or not slug:
        messages.error(request, "A role needs a title.")
        return redirect("staff-home")
    if Role.objects.filter(slug=slug).exists():
        messages.error(request, f"A role with the short name “{slug}” exists already.")
        return redirect("staff-home")
    role = services.role_create(slug=slug, title=title, description=request.POST.get("description", ""))
    messages.success(request, f"{role.title} created with the five default stages. Add candidates below.")
    return redirect("staff-role", role_id=role.id)


@hiring_staff
@require_POST
def role_add_candidates(request, role_id: int):
    """Add candidates by e-mail, one per line ("Name <email>" or "email, Name"): all or none."""
    if not may_manage(request.user):
        raise PermissionDenied
    role = roles_visible_to(request.user).filter(pk=role_id).first()
    if role is None:
        raise Http404("Role not found.")
    people = []
    for number, line in enumerate(request.POST.get("candidates", "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, email = _name_and_email(line)
        if "@" not in email or " " in email:
            messages.error(request, f"Line {number}: “{line[:80]}” has no e-mail address. Nobody was added.")
            return redirect("staff-role", role_id=role.id)
        people.append((name, email))
    try:
        services.applications_add(role=role, people=people, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, f"Nobody was added: {exc.message} ({exc.extra.get('email', '')})")
    else:
        messages.success(request, f"{len(people)} candidate(s) added at {role.stages.order_by('order').first().name}.")
    return redirect("staff-role", role_id=role.id)


def _name_and_email(line: str) -> tuple[str, str]:
    if "<" in line and line.endswith(">"):
        name, _, email = line[:-1].partition("<")
        return name.strip().strip('"'), email.strip()
    if "," in line:
        first, second = (part.strip() for part in line.split(",", 1))
        return (second, first) if "@" in first else (first, second)
    return "", line


@hiring_staff
@require_POST
def stage_settings(request, role_id: int, stage_slug: str):
    if not may_manage(request.user):
        raise PermissionDenied
    role = roles_visible_to(request.user).filter(pk=role_id).first()
    stage = role.stages.filter(slug=stage_slug).first() if role else None
    if stage is None:
        raise Http404("Stage not found.")
    assessment_id = request.POST.get("assessment_id") or None
    try:
        services.stage_update(
            stage=stage, assessment_id=int(assessment_id) if assessment_id else None,
            invite_on_enter=bool(request.POST.get("invite_on_enter")), advance_on_pass=bool(request.POST.get("advance_on_pass")),
        )
        messages.success(request, f"{stage.name} saved.")
    except (ApplicationError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Choose an assessment from the list."))
    return redirect("staff-role", role_id=role.id)


@hiring_staff
def staff_home(request):
    roles = (
        roles_visible_to(request.user)
        .annotate(active=Count("applications", filter=Q(applications__state=Application.State.ACTIVE)),
                  total=Count("applications"))
        .order_by("-is_open", "title")
    )
    return render(request, "hiring/staff_home.html", {"roles": roles, "may_manage": may_manage(request.user)})


@hiring_staff
def role_candidates(request, role_id: int):
    role = roles_visible_to(request.user).filter(pk=role_id).first()
    if role is None:
        raise Http404("Role not found.")
    params = request.GET
    try:
        page_number = max(int(params.get("page", 1)), 1)
    except ValueError:
        page_number = 1
    ordering = params.get("ordering", "-updated")
    page = role_applications(
        user=request.user, role=role, stage=params.get("stage", ""), state=params.get("state", ""),
        search=params.get("q", ""), ordering=ordering, limit=PAGE, offset=(page_number - 1) * PAGE,
    )
    pages = max(1, -(-page["count"] // PAGE))
    query = params.copy()
    query.pop("page", None)
    return render(request, "hiring/role_candidates.html", {
        "role": role, "stages": role.stages.order_by("order").select_related("assessment"), "page": page,
        "page_number": page_number, "pages": pages,
        "assessments": Assessment.objects.filter(is_published=True).exclude(mode=Assessment.Mode.PRACTICE).order_by("title"),
        "filters": {"stage": params.get("stage", ""), "state": params.get("state", ""), "q": params.get("q", ""),
                    "ordering": ordering},
        "orderings": list(ORDERINGS), "states": Application.State.choices, "query": query.urlencode(),
        "may_manage": may_manage(request.user),
    })


@hiring_staff
@require_POST
def role_candidates_move(request, role_id: int):
    if not may_manage(request.user):
        raise PermissionDenied
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    target = request.POST.get("target", "")
    note = request.POST.get("note", "")
    back = reverse("staff-role", args=[role_id]) + ("?" + request.POST.get("query", "") if request.POST.get("query") else "")
    if not ids or not target:
        messages.error(request, "Choose candidates and where to move them.")
        return redirect(back)
    try:
        applications = applications_get_for_staff(user=request.user, application_ids=ids)
        services.applications_send(applications=applications, target=target, actor=request.user, note=note)
    except ApplicationError as exc:
        messages.error(request, f"Nobody was moved: {exc.message}")
    else:
        messages.success(request, f"{len(applications)} candidate(s) moved.")
    return redirect(back)


@hiring_staff
def candidate(request, application_id: int):
    application = application_get_for_staff(user=request.user, application_id=application_id)
    detail = application_detail(user=request.user, application=application)
    mine = {c["stage_slug"]: c for c in detail["scorecards"] if c["interviewer"]["id"] == request.user.id}
    scorecard_stages = [s for s in detail["pipeline"] if s["uses_scorecards"]]
    return render(request, "hiring/candidate.html", {
        "application": application, "detail": detail, "scorecard_stages": scorecard_stages, "my_scorecards": mine,
        "anchors": sorted(RATING_ANCHORS.items()), "recommendations": Scorecard.Recommendation.choices,
        "states": [(v, label) for v, label in Application.State.choices if v != Application.State.ACTIVE],
        "may_manage": detail["may_manage"], "may_score": request.user.has_perm("hiring.add_scorecard"),
        "may_comment": request.user.has_perm("hiring.add_comment"),
    })


def _candidate_action(action):
    """A form on the candidate page: run it, say how it went, come back to the page."""
    @hiring_staff
    @require_POST
    @wraps(action)
    def view(request, application_id: int):
        application = application_get_for_staff(user=request.user, application_id=application_id)
        try:
            done = action(request, application)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect(reverse("staff-candidate", args=[application.id]) + request.POST.get("anchor", ""))
    return view


@_candidate_action
def candidate_move(request, application):
    if not may_manage(request.user):
        raise PermissionDenied
    services.applications_send(applications=[application], target=request.POST.get("target", ""), actor=request.user,
                               note=request.POST.get("note", ""))
    return "Moved."


@_candidate_action
def candidate_scorecard(request, application):
    if not request.user.has_perm("hiring.add_scorecard"):
        raise PermissionDenied
    stage = application.role.stages.filter(slug=request.POST.get("stage", "")).first()
    if stage is None:
        raise ApplicationError("No such stage.")
    ratings = {}
    for key, value in request.POST.items():
        if key.startswith("rating-") and value:
            if not value.isdigit():
                raise ApplicationError("Ratings are whole numbers from 1 to 4.")
            ratings[key.removeprefix("rating-")] = int(value)
    services.scorecard_submit(application=application, stage=stage, interviewer=request.user, ratings=ratings,
                              recommendation=request.POST.get("recommendation", ""), notes=request.POST.get("notes", ""))
    return f"Scorecard for {stage.name} saved."


@_candidate_action
def candidate_comment(request, application):
    if not request.user.has_perm("hiring.add_comment"):
        raise PermissionDenied
    services.comment_add(application=application, author=request.user, body=request.POST.get("body", ""))
    return "Comment added."


@_candidate_action
def candidate_override(request, application):
    if not (may_manage(request.user) and request.user.has_perm("assessments.change_response")):
        raise PermissionDenied
    try:
        score = float(request.POST.get("score", ""))
    except ValueError:
        raise ApplicationError("The score is a number.") from None
    response_id = int(request.POST.get("response_id", "0") or 0)
    services.response_override(application=application, response_id=response_id, reviewer=request.user,
                               score=score, note=request.POST.get("note", ""))
    return "Score changed; the note is kept with it."


@_candidate_action
def candidate_interviewers(request, application):
    if not may_manage(request.user):
        raise PermissionDenied
    names = [n.strip() for n in request.POST.get("usernames", "").replace(",", " ").split() if n.strip()]
    services.interviewers_assign(application=application, usernames=names, actor=request.user)
    return "Interviewers updated."


@hiring_staff
def candidate_pdf(request, application_id: int):
    application = application_get_for_staff(user=request.user, application_id=application_id)
    pdf = candidate_report_pdf(application_detail(user=request.user, application=application))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = application.candidate.username.replace('"', "")
    response["Content-Disposition"] = f'inline; filename="prep-{name}-{application.role.slug}.pdf"'
    return response
