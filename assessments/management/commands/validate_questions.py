from django.core.management.base import BaseCommand, CommandError

from assessments.models import Question
from assessments.services.validation import question_check


class Command(BaseCommand):
    help = ("Check that each question's answer key holds: code questions' reference solutions get AC in the "
            "sandbox, choice and numeric answers earn full credit. Exits 1 if any fails.")

    def add_arguments(self, parser):
        parser.add_argument("--slug", action="append", default=[], help="Only these questions.")
        parser.add_argument("--assessment", help="Only the questions of this assessment (slug).")

    def handle(self, *args, slug, assessment, **options):
        questions = Question.objects.filter(version_of__isnull=True).select_related("numeric", "code").prefetch_related(
            "options", "text_answers", "parts")
        if slug:
            questions = questions.filter(slug__in=slug)
        if assessment:
            questions = questions.filter(assessments__slug=assessment)
        failed = 0
        for question in questions.order_by("slug"):
            check = question_check(question=question)
            failed += not check.ok
            mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {question.slug} [{question.kind}] {check.detail}")
        if failed:
            raise CommandError(f"{failed} question(s) failed validation")
        self.stdout.write(self.style.SUCCESS(f"All {questions.count()} question(s) hold."))
