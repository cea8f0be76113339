"""What one candidate request costs the web tier, every figure measured in the same run (as root):

    .venv/bin/python bench/web.py [--runs 200]          (or: make bench)

The figure that sets how many candidates a core serves is CPU time per request, not latency on
an idle machine: bench/load.py found the web tier at about 10 ms of CPU per request with 200
candidates on 2 cores. This bench measures it one request at a time, so that a change to the
hot paths shows at once (bench/load.py takes minutes and mixes everything).

A private PostgreSQL (the script re-runs itself under scripts/with-postgres.sh) and a private
redis-server (the broker a Run is published to; no worker runs, so submissions stay queued);
the load bench's assessment and candidates (bench/load.py make_fixture). Each request goes
through Django's WSGI handler as gunicorn calls it (every middleware, token authentication, the
JSON renderer), and is timed as CPU of this process (time.process_time) and of PostgreSQL's
processes. The limit: a bare DRF view that returns {} through the same stack, with and without
token authentication. Prints, per request, median CPU ms and its ratio to the limit; then the
Redis calls on a Run's path (a rate limit, a cache read, publishing the grading task) and making a
client, against a PING on a kept client."""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its judge.py would shadow the judge package

from bench import load as LOAD  # noqa: E402,N812 -- its make_fixture, /proc readers, free_port, procfile_web
from bench.pgrun import rerun_under_postgres  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed requests per kind (after a few untimed)")
    parser.add_argument("--gunicorn", action="store_true",
                        help="also time the bare view and the autosave through gunicorn (the Procfile's workers and "
                             "threads) from one keep-alive client: what the server adds")
    parser.add_argument("--profile", metavar="KIND", help="also profile the requests whose name starts with KIND "
                        "(e.g. autosave) and print where their time goes")
    args = parser.parse_args()
    rerun_under_postgres("PREP_WEB_BENCH_UNDER_PG", __file__)
    with tempfile.TemporaryDirectory(prefix="prep-bench-web-") as workdir:
        redis = start_redis(Path(workdir))
        try:
            return run(args, Path(workdir))
        finally:
            redis.terminate()
            redis.wait(10)


def start_redis(workdir: Path) -> subprocess.Popen:
    import socket

    port = LOAD.free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def postgres_cpu() -> float:
    """CPU seconds of every visible PostgreSQL process (the server is ours alone)."""
    return sum(cpu for _, comm, cpu in LOAD._proc_stats().values() if comm == "postgres")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live descendants (gunicorn's workers run throughout)."""
    from judge.sandbox.processes import descendants

    stats = LOAD._proc_stats()
    return sum(stats[p][2] for p in (pid, *descendants(pid)) if p in stats)


def through_gunicorn(args, workdir: Path, token: str, state: dict, results: dict) -> None:
    """Sequential requests on one kept-alive connection; gunicorn's CPU (all its processes) per request."""
    import http.client

    from django.db import connections

    connections.close_all()
    port = LOAD.free_port()
    # gunicorn serves prep.urls plus the bare view, from modules written next to it.
    (workdir / "bench_web_urls_module.py").write_text(URLS_MODULE)
    (workdir / "bench_web_wsgi.py").write_text(WSGI_MODULE)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{workdir}", "DJANGO_ROOT_URLCONF_BENCH": "bench_web_urls_module"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "bench_web_wsgi:application",
                             "--chdir", str(workdir), "--bind", f"127.0.0.1:{port}",
                             "--workers", str(LOAD.procfile_web("--workers")), "--threads", str(LOAD.procfile_web("--threads")),
                             "--access-logfile", "-"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)
        numeric = next(q for q in state["questions"] if q["kind"] == "numeric")
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        for name, method, url, body in [
            ("through gunicorn: bare DRF, token", "GET", "/bench/bare/", None),
            ("through gunicorn: autosave", "PUT", f"/api/attempts/{state['attempts'][0]}/responses/{numeric['id']}/", 1),
        ]:
            for i in range(5):
                conn.request(method, url, body=json.dumps({"value": i}) if body else None, headers=headers)
                assert conn.getresponse().read() is not None
            before, pg_before = tree_cpu(proc.pid), postgres_cpu()
            for i in range(args.runs):
                conn.request(method, url, body=json.dumps({"value": i / 7}) if body else None, headers=headers)
                response = conn.getresponse()
                response.read()
                assert response.status == 200, response.status
            results[name] = ((tree_cpu(proc.pid) - before) * 1000 / args.runs,
                             (postgres_cpu() - pg_before) * 1000 / args.runs)
    finally:
        proc.terminate()
        proc.wait(10)


URLS_MODULE = """
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class BareApi(APIView):
    def get(self, request):
        return Response({})


urlpatterns = [path("bench/bare/", BareApi.as_view()), path("", include("prep.urls"))]
"""

WSGI_MODULE = """
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep.settings")
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
from django.conf import settings

settings.ROOT_URLCONF = os.environ["DJANGO_ROOT_URLCONF_BENCH"]
"""


def profile(work, runs: int, offset: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(runs):
        work(offset + i)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def redis_calls(runs: int) -> None:
    """The Redis calls on a Run's path on their own, against a PING on a kept client: what making a
    redis.Redis costs, which Django's cache and kombu once did for every call (common/cache.py,
    prep/celery.py keep one per pool)."""
    import redis
    from django.core.cache import cache

    from assessments.tasks import submission_grade
    from common.throttling import window_take

    kept = redis.Redis.from_url(os.environ["REDIS_URL"])
    calls = [
        ("PING on a kept client (the limit)", kept.ping),
        ("a redis.Redis made on the same pool", lambda: redis.Redis(connection_pool=kept.connection_pool)),
        ("a rate limit counted (window_take)", lambda: window_take(f"bench-{uuid.uuid4().hex}", 10, 60)),
        ("a cache read (cache.get)", lambda: cache.get("bench-absent")),
        ("a grading task published (delay)", lambda: submission_grade.delay(0)),
    ]
    results = {}
    for name, call in calls:
        for _ in range(5):
            call()
        cpu = []
        for _ in range(runs):
            began = time.process_time()
            call()
            cpu.append((time.process_time() - began) * 1000)
        results[name] = statistics.median(cpu)
    limit = results[calls[0][0]]
    print(f"\n{'Redis call':36s} {'CPU':>9s} {'x limit':>8s}")
    for name, _ in calls:
        print(f"{name:36s} {results[name]:7.3f}ms {results[name] / limit:7.1f}x")


def run(args, workdir: Path) -> int:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "prep.settings", "PREP_VAR_DIR": str(workdir),
                       "SECRET_KEY": "bench-" + uuid.uuid4().hex, "LOG_LEVEL": "WARNING",
                       "PREP_RUN_RATE": "100000/min", "PREP_SUBMIT_RATE": "100000/min", "ALLOWED_HOSTS": "127.0.0.1"})
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test.utils import override_settings
    from django.urls import include, path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    make_fixture = LOAD.make_fixture

    class BareApi(APIView):
        """The limit: the same middleware, token authentication and renderer; no work."""

        def get(self, request):
            return Response({})

    class BareAnonymousApi(BareApi):
        authentication_classes, permission_classes = [], [AllowAny]

    urls = type(sys)("bench_web_urls")
    urls.urlpatterns = [path("bench/bare/", BareApi.as_view()), path("bench/anonymous/", BareAnonymousApi.as_view()),
                        path("", include("prep.urls"))]
    sys.modules[urls.__name__] = urls

    call_command("migrate", verbosity=0)
    users = 2 * args.runs + 10
    fixture = make_fixture(users, 600)
    app = WSGIHandler()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; PostgreSQL "
          f"{settings.DATABASES['default']['HOST']}:{settings.DATABASES['default']['PORT']}, CONN_MAX_AGE "
          f"{settings.DATABASES['default']['CONN_MAX_AGE']}; {users} candidates; {args.runs} timed requests per kind\n")

    def call(method: str, url: str, token: str | None, body=None) -> tuple[int, dict]:
        path_info, _, query = url.partition("?")
        data = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path_info, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)), "HTTP_HOST": "127.0.0.1",
            **({"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}),
        }
        status = []
        chunks = app(environ, lambda s, headers, exc_info=None: status.append(int(s.split()[0])))
        content = b"".join(chunks)
        chunks.close() if hasattr(chunks, "close") else None
        return status[0], (json.loads(content) if content.startswith(b"{") else {})

    tokens = [u["token"] for u in fixture["users"]]
    assessment, code = fixture["assessment"].id, fixture["question"].id
    state = {"attempts": {}, "questions": None, "submission": None}

    def start(i):
        status, body = call("POST", f"/api/assessments/{assessment}/attempts/", tokens[i])
        assert status == 201, (status, body)
        state["attempts"][i] = body["id"]
        state["questions"] = body["questions"]

    def autosave(i):
        numeric = next(q for q in state["questions"] if q["kind"] == "numeric")
        status, body = call("PUT", f"/api/attempts/{state['attempts'][0]}/responses/{numeric['id']}/", tokens[0],
                            {"value": i / 1000})
        assert status == 200, (status, body)

    def autosave_choice(i):  # checked against the question's options, read in the save's pipeline
        choice = next(q for q in state["questions"] if q["kind"] == "single_choice")
        status, body = call("PUT", f"/api/attempts/{state['attempts'][0]}/responses/{choice['id']}/", tokens[0],
                            {"choice": choice["options"][i % len(choice["options"])]["id"]})
        assert status == 200, (status, body)

    def run_code(i):  # each on its own candidate's attempt: the pending cap is per attempt
        status, body = call("POST", f"/api/attempts/{state['attempts'][i]}/responses/{code}/runs/", tokens[i],
                            {"language": "python", "source": f"# {i}\ndef running_max(values):\n    return values\n"})
        assert status == 202, (status, body)
        state["submission"] = (tokens[i], body["id"])

    def poll(i):
        token, submission = state["submission"]
        status, body = call("GET", f"/api/submissions/{submission}/", token)
        assert status == 200, (status, body)

    kinds = [
        ("bare DRF view, no authentication", lambda i: call("GET", "/bench/anonymous/", None), None),
        ("bare DRF view, token (the limit)", lambda i: call("GET", "/bench/bare/", tokens[0]), None),
        ("start an attempt", start, "POST /api/assessments/{id}/attempts/"),
        ("autosave an answer", autosave, "PUT /api/attempts/{id}/responses/{q}/"),
        ("autosave a single choice", autosave_choice, "PUT /api/attempts/{id}/responses/{q}/"),
        ("Run code (queued, published)", run_code, "POST .../responses/{q}/runs/"),
        ("read a submission", poll, "GET /api/submissions/{id}/"),
    ]
    results = {}
    with override_settings(ROOT_URLCONF=urls.__name__):
        for name, work, _ in kinds:
            for i in range(5):  # untimed: caches, the first connection
                work(users - 1 - i if work in (start, run_code) else i)
            cpu, pg = [], 0.0
            pg_before = postgres_cpu()
            for i in range(args.runs):
                began = time.process_time()
                work(i)
                cpu.append((time.process_time() - began) * 1000)
            pg = (postgres_cpu() - pg_before) * 1000 / args.runs
            results[name] = (statistics.median(cpu), pg)
            if args.profile and name.startswith(args.profile):
                offset = args.runs if work in (start, run_code) else 0
                if work is run_code:  # fresh attempts (each takes 3 pending runs at most), started unprofiled
                    for i in range(offset, offset + args.runs):
                        state["attempts"].get(i) or start(i)
                profile(work, args.runs, offset=offset)

    if args.gunicorn:
        through_gunicorn(args, workdir, tokens[0], state, results)
    limit = results[kinds[1][0]][0]
    print(f"{'request':36s} {'web CPU':>9s} {'x limit':>8s} {'PostgreSQL':>11s}   route")
    for name, _, route in kinds:
        web, pg = results[name]
        print(f"{name:36s} {web:7.2f}ms {web / limit:7.1f}x {pg:9.2f}ms   {route or ''}")
    for name in results:
        if name.startswith("through gunicorn"):
            web, pg = results[name]
            print(f"{name:36s} {web:7.2f}ms {web / limit:7.1f}x {pg:9.2f}ms   (gunicorn's CPU, mean)")
    print("\n(median CPU of this process per request; PostgreSQL: its processes' CPU per request, averaged)")
    redis_calls(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
