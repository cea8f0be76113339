from django.db import transaction

from accounts.models import User
from assessments.models import Skill
from hiring.models import DEFAULT_STAGES, Application, Role, Stage, StageTransition


@transaction.atomic
def role_create(*, slug: str, title: str, description: str = "") -> Role:
    """A role with the default five stages (see DESIGN.md)."""
    role = Role.objects.create(slug=slug, title=title, description=description)
    for order, (stage_slug, name, skills) in enumerate(DEFAULT_STAGES):
        stage = Stage.objects.create(role=role, slug=stage_slug, name=name, order=order)
        stage.skills.set(Skill.objects.filter(slug__in=[s for s in skills.split(",") if s]))
    return role


@transaction.atomic
def application_create(*, role: Role, candidate: User, actor: User | None = None) -> Application:
    first = role.stages.order_by("order").first()
    application = Application.objects.create(role=role, candidate=candidate, stage=first)
    StageTransition.objects.create(
        application=application, actor=actor, to_stage=first, to_state=Application.State.ACTIVE, note="Applied"
    )
    return application
