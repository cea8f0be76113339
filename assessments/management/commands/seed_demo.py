from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.roles import REVIEWERS
from accounts.services import role_groups_ensure, user_ensure
from assessments.models import Invitation
from assessments.services.demo import bank_load, starter_load
from hiring.models import Application, Role
from hiring.services import application_create, role_create


class Command(BaseCommand):
    help = "Create the demo accounts, question bank, assessment and role. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        password = settings.PREP_DEMO_PASSWORD
        groups = role_groups_ensure()
        admin = user_ensure(username="admin", password=password, is_superuser=True, first_name="Ada", last_name="Admin")
        user_ensure(
            username="reviewer", password=password, is_staff=True, first_name="Rui", last_name="Reviewer",
            groups=[groups[REVIEWERS]],
        )
        candidate = user_ensure(username="candidate", password=password, first_name="Casey", last_name="Candidate")

        assessment = bank_load()
        Invitation.objects.get_or_create(assessment=assessment, candidate=candidate)
        for starter in starter_load():
            Invitation.objects.get_or_create(assessment=starter, candidate=candidate)

        role = Role.objects.filter(slug="data-scientist").first() or role_create(
            slug="data-scientist", title="Data Scientist", description="Product analytics and experimentation."
        )
        technical = role.stages.filter(slug="technical-assessment").first()
        if technical and technical.assessment_id is None:
            technical.assessment = assessment
            technical.save(update_fields=["assessment", "updated_at"])
        if not Application.objects.filter(role=role, candidate=candidate).exists():
            application_create(role=role, candidate=candidate, actor=admin)

        self.stdout.write(self.style.SUCCESS(f"Demo data ready: assessment “{assessment.title}”, role “{role.title}”."))
        self.stdout.write("Demo logins: admin, reviewer, candidate — password: " + password)
        self.stdout.write(
            self.style.WARNING("These accounts and this password are for local use only; never seed them in production.")
        )
