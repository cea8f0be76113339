from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.services.imports import questions_import
from common.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Import questions from a Prep question pack (folder with pack.yaml, or a .yaml file), a GIFT file "
        "(.gift/.txt), a Moodle XML file (.xml) or a Kattis problem package (folder with problem.yaml). "
        "A bad file is refused whole and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--skip-unsupported", action="store_true",
                            help="GIFT/Moodle: skip question types Prep does not support instead of refusing the file.")
        parser.add_argument("--skill", action="append", default=[], help="Tag every imported question with this skill slug.")

    def handle(self, *args, path: Path, skip_unsupported: bool, skill: list[str], **options):
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        try:
            result = questions_import(path=path, skip_unsupported=skip_unsupported, skills=skill)
        except ApplicationError as exc:
            raise CommandError(f"Nothing imported. {exc.message}") from exc
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(f"Imported {len(result.questions)} question(s) from {result.format} {path}."))
        for question in result.questions:
            self.stdout.write(f"  {question.slug}  [{question.get_kind_display()}]  {question.title}")
