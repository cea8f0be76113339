"""Reports for the people who see every application: a role's funnel, an assessment's item
statistics and score distribution, and the rows of the CSV exports.

Each report runs a fixed number of queries whatever the volume: counts and sums are made in the
database; only what SQL cannot do portably (medians, time in stage from consecutive audit rows)
is computed here, from one narrow list."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from django.db import NotSupportedError
from django.db.models import Avg, Case, Count, F, FloatField, Func, OuterRef, Prefetch, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment, AssessmentQuestion, Attempt, Question, Response, Skill
from assessments.selectors import question_exposures
from hiring.models import Application, Role, Scorecard, Stage, StageTransition

DAY_S = 86400.0
# Below this many graded attempts a correlation says more about chance than about the item.
MIN_ATTEMPTS_FOR_DISCRIMINATION = 5
# Variances at or below this are zero (everyone scored alike), where a correlation is undefined.
ZERO_VARIANCE = 1e-12
EXPORT_CHUNK = 1000


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (a float), computed by the database: turning tens of
    thousands of timestamps into datetime objects costs more than the report's arithmetic."""

    output_field = FloatField()
    arity = 1
    templates = {
        # Django stores UTC text, which julianday() reads; 2440587.5 is the Julian day of 1970-01-01.
        "sqlite": "((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
        "postgresql": "EXTRACT(EPOCH FROM %(expressions)s)::double precision",
    }

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor not in self.templates:
            raise NotSupportedError(f"EpochSeconds is written for SQLite and PostgreSQL, not {connection.vendor}.")
        return super().as_sql(compiler, connection, template=self.templates[connection.vendor], **extra)


# --- a role's funnel -----------------------------------------------------------------------


def role_funnel(*, role: Role, now: datetime | None = None) -> dict:
    """Per stage, in order: how many active applications are there now (`current`), how many ever
    reached it or a later stage (`reached`, from the audit trail), the conversion from the
    previous stage, and the median and mean days an application spends there (the current stage
    counts until now for active applications). Three queries whatever the number of candidates."""
    now = now or timezone.now()
    stages = list(Stage.objects.filter(role=role).order_by("order").values("id", "slug", "name", "order"))
    index = {s["id"]: i for i, s in enumerate(stages)}

    current: Counter[int] = Counter()
    totals = dict.fromkeys(Application.State.values, 0)
    by_stage_state = (Application.objects.filter(role=role).order_by()
                      .values_list("stage_id", "state").annotate(n=Count("id")))
    for stage_id, state, n in by_stage_state:
        totals[state] = totals.get(state, 0) + n
        if state == Application.State.ACTIVE:
            current[stage_id] += n

    transitions = (
        StageTransition.objects.filter(application__role=role)
        .order_by("application_id", "created_at", "id")
        .values_list("application_id", "to_stage_id", "to_state", EpochSeconds("created_at"),
                     "application__stage_id", "application__state")
    )
    furthest: Counter[int] = Counter()  # stage index -> applications whose furthest stage it is
    seconds: dict[int, list[float]] = defaultdict(list)  # stage id -> one total per application
    now_s = now.timestamp()
    for _, rows in groupby(transitions.iterator(chunk_size=5000), key=itemgetter(0)):
        top, spent = _walk_application(list(rows), index=index, now=now_s)
        if top is not None:
            furthest[top] += 1
        for stage_id, total in spent.items():
            seconds[stage_id].append(total)

    reached_from_here = 0
    reached = [0] * len(stages)
    for i in range(len(stages) - 1, -1, -1):
        reached_from_here += furthest[i]
        reached[i] = reached_from_here

    rows = []
    for i, stage in enumerate(stages):
        spent = seconds.get(stage["id"], [])
        previous = reached[i - 1] if i else None
        rows.append({
            "slug": stage["slug"],
            "name": stage["name"],
            "order": stage["order"],
            "current": current[stage["id"]],
            "reached": reached[i],
            "conversion": round(reached[i] / previous, 4) if previous else None,
            "median_days_in_stage": round(statistics.median(spent) / DAY_S, 2) if spent else None,
            "mean_days_in_stage": round(statistics.fmean(spent) / DAY_S, 2) if spent else None,
            "timed": len(spent),
        })
    return {
        "role": {"id": role.id, "slug": role.slug, "title": role.title},
        "as_of": now,
        "stages": rows,
        "totals": {"applications": sum(totals.values()), **totals},
    }


def _walk_application(rows: list[tuple], *, index: dict[int, int], now: float) -> tuple[int | None, dict[int, float]]:
    """One application's audit rows, oldest first, times in epoch seconds → (index of the
    furthest stage it reached, seconds spent per stage). A stage is left by a move to another
    stage or by closing."""
    top: int | None = None
    spent: dict[int, float] = defaultdict(float)
    at_stage, since = None, None
    for _, to_stage, to_state, at, _, _ in rows:
        if to_stage in index:
            top = max(top if top is not None else -1, index[to_stage])
        if at_stage is not None and (to_stage != at_stage or to_state != Application.State.ACTIVE):
            spent[at_stage] += max(at - since, 0.0)
            at_stage = None
        if at_stage is None and to_state == Application.State.ACTIVE and to_stage is not None:
            at_stage, since = to_stage, at
    _, _, _, _, app_stage, app_state = rows[-1]
    if at_stage is not None and app_state == Application.State.ACTIVE:
        spent[at_stage] += max(now - since, 0.0)
    if app_stage in index:  # the stage it is at was reached, audit row or not
        top = max(top if top is not None else -1, index[app_stage])
    return top, spent


# --- an assessment's items -----------------------------------------------------------------


def item_statistics(*, assessment: Assessment) -> dict:
    """Per question family (a live question and its past versions) over graded attempts: how many
    responses, the facility (mean score as a fraction of the maximum), the discrimination (the
    point-biserial correlation between the item's score fraction and the rest of the test's),
    exposure, and the mean time spent where the page reported it. Every sum is made in the
    database, per question version, so the cost does not grow in Python with the number of
    attempts; versions are folded into their family here (joining each response to its question
    for that doubled the time on SQLite: 50k attempts, bench/hiring.py)."""
    graded = Response.objects.filter(attempt__assessment=assessment, attempt__state=Attempt.State.GRADED,
                                     score__isnull=False, max_score__gt=0)
    rest_max = F("attempt__max_score") - F("max_score")
    timed = Q(time_spent_s__gt=0)  # 0 is "not reported" (answers saved before the page reported time), not "no time"
    sums = {
        "responses": Count("id"),
        "sum_x": Sum("x"),
        # the correlation's sums, over attempts where the rest of the test carries points
        "n_xy": Count("y"),
        "sx": Sum("x", filter=Q(y__isnull=False)),
        "sxx": Sum(F("x") * F("x"), filter=Q(y__isnull=False)),
        "sy": Sum("y"),
        "syy": Sum(F("y") * F("y")),
        "sxy": Sum(F("x") * F("y")),
        "timed": Count("id", filter=timed),
        "time_s": Sum("time_spent_s", filter=timed),
    }
    per_version = list(graded.alias(
        x=F("score") * 1.0 / F("max_score"),
        y=Case(When(attempt__max_score__gt=F("max_score"),
                    then=(Coalesce("attempt__score", 0.0) - F("score")) * 1.0 / rest_max),
               default=None, output_field=FloatField()),
    ).values("question_id").annotate(**sums).order_by())
    fixed = [
        question_id if version_of is None else version_of
        for question_id, version_of in AssessmentQuestion.objects.filter(assessment=assessment)
        .order_by("order", "id").values_list("question_id", "question__version_of_id")
    ]
    version_of = dict(Question.objects.filter(id__in={row["question_id"] for row in per_version})
                      .values_list("id", "version_of_id"))
    rows: dict[int, dict] = {}
    for row in per_version:
        family = version_of[row["question_id"]] or row["question_id"]
        into = rows.setdefault(family, dict.fromkeys(sums, 0))
        for name in sums:
            into[name] += row[name] or 0
    questions = Question.objects.in_bulk(set(fixed) | set(rows))
    drawn = sorted((f for f in rows if f not in set(fixed)), key=lambda f: (questions[f].title, f))
    exposure = question_exposures(question_ids=questions)
    items = []
    for family in dict.fromkeys(fixed + drawn):  # fixed items in order, then drawn ones by title
        question, row = questions[family], rows.get(family, {})
        item = {
            "question_id": family,
            "title": question.title,
            "kind": question.kind,
            "difficulty": question.difficulty,
            "responses": row.get("responses", 0),
            "mean_score": round(row["sum_x"] / row["responses"], 4) if row else None,
            "discrimination": _correlation(row) if row else None,
            "exposure": exposure[family],
            "mean_time_s": round(row["time_s"] / row["timed"], 1) if row.get("timed") else None,
        }
        items.append(item)
    return {
        "assessment": {"id": assessment.id, "slug": assessment.slug, "title": assessment.title},
        "attempts": Attempt.objects.filter(assessment=assessment, state=Attempt.State.GRADED).count(),
        "items": items,
    }


def _correlation(row: dict) -> float | None:
    n = row["n_xy"]
    if n < MIN_ATTEMPTS_FOR_DISCRIMINATION:
        return None
    mean_x, mean_y = row["sx"] / n, row["sy"] / n
    var_x, var_y = row["sxx"] / n - mean_x ** 2, row["syy"] / n - mean_y ** 2
    if var_x <= ZERO_VARIANCE or var_y <= ZERO_VARIANCE:
        return None
    r = (row["sxy"] / n - mean_x * mean_y) / math.sqrt(var_x * var_y)
    return round(max(-1.0, min(1.0, r)), 4)


def score_distribution(*, assessment: Assessment, bins: int = 10) -> dict:
    """A histogram of graded attempts' percents (`bins` equal bins over 0–100, the last one
    closed), with their count, mean, median and the share that reached the pass mark."""
    percents = sorted(
        round(p, 1) for p in Attempt.objects.filter(assessment=assessment, state=Attempt.State.GRADED,
                                                     score__isnull=False, max_score__gt=0)
        .annotate(p=F("score") * 100.0 / F("max_score")).values_list("p", flat=True)
    )
    width = 100.0 / bins
    counts = Counter(min(int(p // width), bins - 1) for p in percents)
    passed = sum(1 for p in percents if p >= assessment.pass_mark_percent)
    return {
        "assessment": {"id": assessment.id, "slug": assessment.slug, "title": assessment.title},
        "count": len(percents),
        "mean": round(statistics.fmean(percents), 1) if percents else None,
        "median": round(statistics.median(percents), 1) if percents else None,
        "pass_mark_percent": assessment.pass_mark_percent,
        "passed": passed,
        "pass_rate": round(passed / len(percents), 4) if percents else None,
        "bins": [{"from": round(i * width, 2), "to": round((i + 1) * width, 2), "count": counts[i]} for i in range(bins)],
    }


# --- rows of the exports -------------------------------------------------------------------


def role_candidates_export(*, role: Role) -> Iterator[dict]:
    """Every candidate of a role, as the staff list shows them (the same best-result and
    scorecard definitions as hiring.selectors_staff.role_applications), in pipeline order.
    One query, read in chunks, plus one per chunk for the interviewers."""
    role_assessments = Stage.objects.filter(role=role, assessment__isnull=False).values("assessment_id")
    best = (
        Attempt.objects.filter(candidate=OuterRef("candidate_id"), assessment__in=role_assessments,
                               state=Attempt.State.GRADED, max_score__gt=0)
        .annotate(pct=100.0 * F("score") / F("max_score")).order_by("-pct").values("pct")[:1]
    )
    rating = (Scorecard.objects.filter(application=OuterRef("pk")).order_by().values("application")
              .annotate(avg=Avg("overall")).values("avg"))
    applications = (
        Application.objects.filter(role=role).select_related("candidate", "stage")
        .annotate(best_percent=Subquery(best), scorecard_avg=Subquery(rating))
        .order_by("stage__order", "id")
        .prefetch_related(Prefetch("interviewers", queryset=User.objects.only("id", "username", "first_name", "last_name")))
    )
    for a in applications.iterator(chunk_size=EXPORT_CHUNK):
        yield {
            "name": a.candidate.get_full_name() or a.candidate.username,
            "email": a.candidate.email,
            "stage": a.stage.name,
            "state": a.state,
            "stage_entered_at": a.stage_entered_at,
            "best_percent": round(a.best_percent, 1) if a.best_percent is not None else None,
            "scorecard_average": round(a.scorecard_avg, 2) if a.scorecard_avg is not None else None,
            "interviewers": [u.get_full_name() or u.username for u in a.interviewers.all()],
        }


def assessment_result_skills(*, assessment: Assessment) -> list[Skill]:
    """The skills the assessment's graded answers were tagged with: the per-skill columns."""
    answered = Response.objects.filter(attempt__assessment=assessment, attempt__state=Attempt.State.GRADED)
    return list(Skill.objects.filter(questions__in=answered.values("question_id")).distinct().order_by("name", "id"))


def assessment_results_export(*, assessment: Assessment, skills: Iterable[Skill]) -> Iterator[dict]:
    """One row per graded attempt, oldest first, with the percent per skill (by each answered
    question's own skills, as the attempt report counts them). Two queries per chunk of attempts."""
    slugs = [s.slug for s in skills]
    last_id = 0
    while True:
        chunk = list(
            Attempt.objects.filter(assessment=assessment, state=Attempt.State.GRADED, id__gt=last_id)
            .select_related("candidate").order_by("id")[:EXPORT_CHUNK]
        )
        if not chunk:
            return
        per_skill: dict[int, dict[str, tuple[float, float]]] = defaultdict(dict)
        for attempt_id, slug, score, max_score in (
            Response.objects.filter(attempt__in=[a.id for a in chunk], question__skills__slug__in=slugs)
            .values("attempt_id", "question__skills__slug").annotate(score=Sum("score"), max_score=Sum("max_score"))
            .order_by().values_list("attempt_id", "question__skills__slug", "score", "max_score")
        ):
            per_skill[attempt_id][slug] = (score or 0.0, max_score or 0.0)
        for a in chunk:
            percent = round(100 * a.score / a.max_score, 1) if a.score is not None and a.max_score else None
            yield {
                "attempt_id": a.id,
                "name": a.candidate.get_full_name() or a.candidate.username,
                "email": a.candidate.email,
                "started_at": a.started_at,
                "submitted_at": a.submitted_at,
                "score": a.score,
                "max_score": a.max_score,
                "percent": percent,
                "passed": None if percent is None else percent >= assessment.pass_mark_percent,
                "skills": {
                    slug: round(100 * s / m, 1) if m else None
                    for slug, (s, m) in ((slug, per_skill[a.id].get(slug, (0.0, 0.0))) for slug in slugs)
                },
            }
        last_id = chunk[-1].id
