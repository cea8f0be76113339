from django.core.management.base import BaseCommand, CommandError

from assessments.tasks import sandbox_problems


class Command(BaseCommand):
    help = "Check that this host can run the grading sandbox (bubblewrap, user namespaces, runtime)."

    def handle(self, *args, **options):
        problems = sandbox_problems()
        if problems:
            raise CommandError("The grading sandbox cannot run here:\n  - " + "\n  - ".join(problems))
        self.stdout.write(self.style.SUCCESS("The grading sandbox works on this host."))
