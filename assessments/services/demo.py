"""The demo question bank that seed_demo loads (a Prep question pack)."""

from pathlib import Path

from django.db import transaction

from assessments.models import Assessment, Question
from assessments.services.packs import pack_import, pack_read
from assessments.services.validation import question_variants_prepare
from common.exceptions import ApplicationError

DEMO_BANK = Path(__file__).resolve().parent.parent / "demo" / "bank.yaml"
STARTER_PACK = Path(__file__).resolve().parent.parent / "packs" / "starter"


@transaction.atomic
def bank_load(*, path: Path = DEMO_BANK) -> Assessment:
    """Create or update the bank's skills, questions and assessment; running it twice changes nothing."""
    data = pack_read(path)
    # The team's own bank, validated in the test suite (validate_questions): published as is.
    pack_import(data=data, source=str(path), default_status=Question.Status.PUBLISHED)
    return Assessment.objects.get(slug=data["assessment"]["slug"])


@transaction.atomic
def starter_load(*, path: Path = STARTER_PACK) -> list[Assessment]:
    """The team's starter bank (validated in the suite), published, with its assessments.
    Parameterized questions get their variants here (the generators run in the sandbox)."""
    data = pack_read(path)
    questions = pack_import(data=data, source=str(path), default_status=Question.Status.PUBLISHED)
    for question in questions:
        if question.is_parameterized and not question.variants.exists():
            ok, detail = question_variants_prepare(question=question)
            if not ok:
                raise ApplicationError(f"{question.slug}: {detail}")
    return list(Assessment.objects.filter(slug__in=[a["slug"] for a in data.get("assessments") or []]))
