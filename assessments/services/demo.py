"""The demo question bank that seed_demo loads (a Prep question pack)."""

from pathlib import Path

from django.db import transaction

from assessments.models import Assessment, Question
from assessments.services.packs import pack_import, pack_read

DEMO_BANK = Path(__file__).resolve().parent.parent / "demo" / "bank.yaml"


@transaction.atomic
def bank_load(*, path: Path = DEMO_BANK) -> Assessment:
    """Create or update the bank's skills, questions and assessment; running it twice changes nothing."""
    data = pack_read(path)
    # The team's own bank, validated in the test suite (validate_questions): published as is.
    pack_import(data=data, source=str(path), default_status=Question.Status.PUBLISHED)
    return Assessment.objects.get(slug=data["assessment"]["slug"])
