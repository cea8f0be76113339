from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import Assessment, Question
from assessments.services.packs import pack_write


class Command(BaseCommand):
    help = "Export questions (all, or those named) and assessments as a Prep question pack folder."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The pack folder to write (created if missing).")
        parser.add_argument("--slug", action="append", default=[], help="Export only these question slugs.")
        parser.add_argument("--assessment", action="append", default=[],
                            help="Also export this assessment (by slug) and every question it uses.")

    def handle(self, *args, path: Path, slug: list[str], assessment: list[str], **options):
        assessments = list(Assessment.objects.filter(slug__in=assessment))
        missing = set(assessment) - {a.slug for a in assessments}
        if missing:
            raise CommandError(f"No assessment {', '.join(sorted(missing))}")
        questions = Question.objects.filter(version_of__isnull=True).prefetch_related("skills").order_by("slug")
        if slug or assessment:
            wanted = set(slug) | {item.question.slug for a in assessments for item in a.items.select_related("question")}
            questions = questions.filter(slug__in=wanted)
        written = pack_write(questions=list(questions), path=path, assessments=assessments)
        self.stdout.write(self.style.SUCCESS(f"Wrote {questions.count()} question(s) to {written}/pack.yaml"))
