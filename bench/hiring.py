"""The hiring team's read paths at scale, every figure measured in the same run:

    .venv/bin/python bench/hiring.py [--postgres] [--applications 10000] [--attempts 50000] [--runs 40]
                                                                        (or: make bench, both databases)

A throw-away SQLite database (a temp file, migrated; or with --postgres a private PostgreSQL,
analyzed once filled) is filled by `generate_hiring_load`; then Django's test client, signed in
as a superuser, times many GETs of the staff candidate list (page 1, a filtered page, ordered by
score), the role funnel, the item statistics of the role's assessment, and — the floor — a bare
DRF view that returns {"ok": true} through the same middleware, authentication and renderer.
Target (issue: reports and analytics): every endpoint's p95 <= 300 ms at 10k applications and
50k attempts. Exit status 1 when one misses it."""

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pgrun import rerun_under_postgres  # noqa: E402
TARGET_MS = 300.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=10000)
    parser.add_argument("--attempts", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=40, help="timed GETs per endpoint (after 3 untimed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and print its path")
    parser.add_argument("--postgres", action="store_true",
                        help="on a private PostgreSQL (scripts/with-postgres.sh), analyzed once filled, instead of SQLite")
    args = parser.parse_args()
    if args.postgres:
        rerun_under_postgres("PREP_HIRING_BENCH_UNDER_PG", __file__)

    workdir = Path(tempfile.mkdtemp(prefix="prep-bench-hiring-"))
    # Before Django reads its settings: the database is ours alone, and so is var/ (secret key).
    if not args.postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PREP_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        return run(args)
    finally:
        if args.keep and not args.postgres:
            print(f"\ndatabase kept: {workdir / 'bench.sqlite3'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from accounts.models import User
    from assessments.models import Assessment
    from hiring.models import Role

    setup_test_environment()  # the test client's host is allowed, e-mail stays in memory
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here

    class BareApi(APIView):
        """The floor: the same stack (session auth, IsAuthenticated, JSON renderer), no work."""

        def get(self, request):
            return Response({"ok": True})

    urls = type(sys)("bench_hiring_urls")
    urls.urlpatterns = [path("bench/bare/", BareApi.as_view()), path("", include("prep.urls"))]
    sys.modules[urls.__name__] = urls

    from django.db import connection

    where = "PostgreSQL (private, analyzed once filled)" if connection.vendor == "postgresql" else "SQLite in a temporary file"
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {where}")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    migrated = time.monotonic()
    call_command("generate_hiring_load", applications=args.applications, attempts=args.attempts,
                 role_slug="bench-load", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon after a bulk load: plans from real row counts
    generated = time.monotonic()
    print(f"migrate {migrated - started:.1f} s; generate_hiring_load --applications {args.applications} "
          f"--attempts {args.attempts}: {generated - migrated:.1f} s\n")

    role = Role.objects.get(slug="bench-load")
    assessment = Assessment.objects.get(stages__role=role)  # the technical stage's
    admin = User.objects.create_superuser("bench-admin", "bench-admin@example.com", None)
    client = Client()
    client.force_login(admin)
    base = f"/api/staff/roles/{role.id}"
    endpoints = [
        ("bare DRF view (the floor)", "/bench/bare/"),
        ("candidate list, page 1", f"{base}/applications/?limit=50"),
        ("candidate list, filtered", f"{base}/applications/?limit=50&stage=technical-assessment&state=active&q=a"),
        ("candidate list, ordering=-score", f"{base}/applications/?limit=50&ordering=-score"),
        ("candidate list, ordering=-score, page 50", f"{base}/applications/?limit=50&offset=2450&ordering=-score"),
        ("role funnel", f"{base}/funnel/"),
        # Exposure is counted from the responses as the report is read (not kept on the question).
        ("assessment item statistics", f"/api/staff/assessments/{assessment.id}/item-statistics/"),
    ]
    with override_settings(ROOT_URLCONF=urls.__name__):
        timings = {name: time_get(client, url, args.runs) for name, url in endpoints}

    floor = statistics.median(timings[endpoints[0][0]])
    print(f"{'endpoint':42s} {'median':>9s} {'p95':>9s} {'× floor':>8s}   target p95 <= {TARGET_MS:.0f} ms")
    failed = False
    for name, _ in endpoints:
        times = timings[name]
        median, p95 = statistics.median(times), percentile(times, 95)
        verdict = "" if name == endpoints[0][0] else ("PASS" if p95 <= TARGET_MS else "FAIL")
        failed |= verdict == "FAIL"
        print(f"{name:42s} {median:7.1f}ms {p95:7.1f}ms {median / floor:7.1f}x   {verdict}")
    return 1 if failed else 0


def time_get(client, url: str, runs: int) -> list[float]:
    for _ in range(3):  # warm caches (SQLite pages, Django's URL resolver and serializers)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:500])
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest value with at least pct% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


if __name__ == "__main__":
    sys.exit(main())
