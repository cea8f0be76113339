"""The demo question bank that seed_demo loads (a Prep question pack)."""

from pathlib import Path

from django.db import transaction

from assessments.models import Assessment
from assessments.services.packs import pack_import, pack_read

DEMO_BANK = Path(__file__).resolve().parent.parent / "demo" / "bank.yaml"


@transaction.atomic
def bank_load(*, path: Path = DEMO_BANK) -> Assessment:
    """Create or update the bank's skills, questions and assessment; running it twice changes nothing."""
    data = pack_read(path)
    pack_import(data=data, source=str(path))
    return Assessment.objects.get(slug=data["assessment"]["slug"])
