"""What a grading costs beyond the judge, every figure measured in the same run (as root):

    .venv/bin/python bench/grading.py [--submissions 200] [--rounds 3]      (or: make bench)

bench/load.py's throughput target compares the grading workers with the bare judge on 2 cores,
where CPU per grading decides it; its figure moves by a fifth between runs on a shared VM. This
bench isolates the part the code controls: the grading task's body (claim, the question's tests,
the judge, recording the verdict and announcing it) run in this process, one Submit after the
other, against the bare judge of the same Submit (the limit) run the same number of times right
after. Sandboxes are prewarmed in both, as grading workers run them. Celery's own cost (its
main process, the pool's hand-over) is not in it: bench/load.py shows that one.

A private PostgreSQL (the script re-runs itself under scripts/with-postgres.sh) and a private
redis-server (announcements are published; nothing consumes the queue); bench/load.py's
fixture. CPU is this process's (with the sandboxes it started and reaped) and PostgreSQL's."""

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its judge.py would shadow the judge package

from bench.pgrun import rerun_under_postgres  # noqa: E402
from bench import web as WEB  # noqa: E402,N812 -- its start_redis and postgres_cpu (and bench/load.py's fixture)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200, help="Submits graded per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (the task's body, the bare judge)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/grading.py runs as root: the judge switches to per-slot sandbox UIDs")
    rerun_under_postgres("PREP_GRADING_BENCH_UNDER_PG", __file__)
    with tempfile.TemporaryDirectory(prefix="prep-bench-grading-") as workdir:
        redis = WEB.start_redis(Path(workdir))
        try:
            return run(args, Path(workdir))
        finally:
            redis.terminate()
            redis.wait(10)


def cpu_s() -> float:
    """CPU seconds of this process and of the children it reaped (the sandboxes)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def run(args, workdir: Path) -> int:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "prep.settings", "PREP_VAR_DIR": str(workdir),
                       "SECRET_KEY": "bench-" + uuid.uuid4().hex, "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import close_old_connections, transaction

    from accounts.models import User
    from assessments.models import Submission
    from assessments.services import attempt_start, submission_create
    from assessments.tasks import submission_grade
    from judge.sandbox import set_prewarm

    call_command("migrate", verbosity=0)
    fixture = WEB.LOAD.make_fixture(args.submissions, 3600)
    code = fixture["question"]
    attempts = [attempt_start(candidate=User.objects.get(username=u["username"]), assessment=fixture["assessment"])[0].id
                for u in fixture["users"]]
    bare = WEB.LOAD.judge_spec(code, run_only=False)

    def submits() -> list[int]:
        with transaction.atomic():
            return [submission_create(attempt_id=a, question_id=code.id, kind=Submission.Kind.SUBMIT,
                                      answer={"language": "python", "source": f"# {i} {time.time()}\n{WEB.LOAD.CORRECT}"}).id
                    for i, a in enumerate(attempts)]

    def grade(ids: list[int]) -> None:
        for submission_id in ids:  # as a worker runs the task: connections checked around it
            close_old_connections()
            submission_grade.run(submission_id)
            close_old_connections()
        if Submission.objects.filter(id__in=ids, status=Submission.Status.DONE).count() != len(ids):
            raise SystemExit("a Submit was not graded")

    def measure(work) -> tuple[float, float]:
        cpu, pg = cpu_s(), WEB.postgres_cpu()
        work()
        return 1000 * (cpu_s() - cpu) / n, 1000 * (WEB.postgres_cpu() - pg) / n

    n = args.submissions
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {n} Submits per round, "
          f"{args.rounds} rounds; CPU ms per grading (this process with its sandboxes, PostgreSQL)\n")
    print(f"{'round':>5s} {'task body':>10s} {'PostgreSQL':>11s} {'bare judge':>11s} {'overhead':>9s} {'bare/task':>10s}")
    set_prewarm(True)
    try:
        bare()  # the first sandbox, started ahead
        ratios = []
        for r in range(1, args.rounds + 1):
            ids = submits()
            task, pg = measure(lambda: grade(ids))
            judge, _ = measure(lambda: [bare() for _ in range(n)])
            ratios.append(judge / (task + pg))
            print(f"{r:5d} {task:8.2f}ms {pg:9.2f}ms {judge:9.2f}ms {task + pg - judge:7.2f}ms {ratios[-1]:9.0%}")
    finally:
        set_prewarm(False)
    print(f"\nthe bare judge's CPU as a share of a grading's (task body + PostgreSQL): median "
          f"{sorted(ratios)[(len(ratios) - 1) // 2]:.0%}; Celery's own cost comes on top (bench/load.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
