"""Health endpoints for load balancers and monitoring (no sign-in, no data beyond counts).

- /healthz: the web process answers (liveness).
- /readyz: it can reach the database and Redis (readiness); 503 naming what is down.
- /healthz/workers: grading workers answering a ping, and those busy with a task (a worker runs
  its task in its own process and answers pings only between tasks; its heartbeat in Redis says
  it lives: prep/celery_pool.py), and the grading backlog; 503 if none."""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    return "ok"


@never_cache
@require_GET
def readyz(request):
    checks, ok = {}, True
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        started = time.monotonic()
        try:
            checks[name] = {"status": check(), "ms": round(1000 * (time.monotonic() - started), 1)}
        except Exception as exc:  # noqa: BLE001 — any failure is "not ready", reported by type
            ok = False
            checks[name] = {"status": "down", "error": type(exc).__name__}
    return JsonResponse({"status": "ok" if ok else "down", "checks": checks}, status=200 if ok else 503)


@never_cache
@require_GET
def workers_health(request):
    from assessments.selectors import grading_backlog
    from prep.celery import app
    from prep.celery_pool import live_workers

    try:
        # A connection of its own: a pooled one may have been closed by Redis meanwhile (an idle
        # timeout, a restart), and the check would say "down" with every worker up.
        with app.connection_for_write() as broker:
            replies = app.control.ping(timeout=1.0, connection=broker) or []
    except Exception as exc:  # noqa: BLE001 — the broker is down: no worker can be reached
        return JsonResponse({"status": "down", "error": type(exc).__name__, "workers": []}, status=503)
    workers = sorted(name for reply in replies for name in reply)
    busy = [name for name in live_workers() if name not in workers]  # beating, but in a task
    up = bool(workers or busy)
    body = {"status": "ok" if up else "down", "workers": workers, "busy": busy, "grading": grading_backlog()}
    return JsonResponse(body, status=200 if up else 503)
