"""Fill the database with a realistic hiring load for benchmarks and the reports:

    python manage.py generate_hiring_load --applications 10000 --attempts 50000 [--role-slug load-test]

One role with the default stages; candidates who apply over the past year and move through the
stages (advance, get rejected, withdraw, get hired), each move an audit row with its own time;
interviewers with scorecards; an assessment of a few questions attached to the technical stage,
and graded attempts with their responses, scored from each candidate's ability against each
question's difficulty (so that the item statistics look like real ones). Everything is written
with bulk_create in one transaction. Refuses to run if the role exists, unless --replace."""

from __future__ import annotations

import math
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import INTERVIEWERS
from accounts.services import role_groups_ensure
from assessments.models import (
    Assessment,
    AssessmentQuestion,
    Attempt,
    CodeSpec,
    NumericSpec,
    Option,
    Question,
    Response,
    Skill,
)
from hiring.models import Application, Role, Scorecard, Stage, StageTransition
from hiring.services import role_create

BATCH = 2000
HISTORY_DAYS = 365
INTERVIEWER_COUNT = 12
# Per stage of the default pipeline: mean days spent there, and the chance a candidate of average
# ability moves on (else rejected); at the last stage, the chance of an offer.
MEAN_DAYS = [5.0, 7.0, 9.0, 12.0, 6.0]
MOVE_ON = [0.55, 0.6, 0.5, 0.45, 0.65]
WITHDRAW = 0.04
ABILITY_WEIGHT = 0.9  # how much ability shifts the odds of moving on
ATTEMPT_MINUTES = 45
SCORECARD_SKILLS = ("collaboration", "statistical-analysis", "programming")
# The assessment: (kind, title, difficulty, points, item difficulty on the ability scale, skill)
QUESTIONS = [
    (Question.Kind.SINGLE_CHOICE, "Interpreting a p-value", Question.Difficulty.EASY, 2.0, -1.0, "statistical-analysis"),
    (Question.Kind.NUMERIC, "Power of a two-sample test", Question.Difficulty.MEDIUM, 3.0, 0.2, "statistical-analysis"),
    (Question.Kind.MULTIPLE_CHOICE, "Leakage in a validation split", Question.Difficulty.MEDIUM, 2.0, 0.4, "machine-learning"),
    (Question.Kind.CODE, "Rolling retention in pandas", Question.Difficulty.HARD, 4.0, 1.1, "programming"),
    (Question.Kind.SHORT_TEXT, "Name the bias", Question.Difficulty.EASY, 1.0, -0.5, "data-ethics"),
    (Question.Kind.NUMERIC, "Confidence interval width", Question.Difficulty.HARD, 3.0, 0.9, "statistical-analysis"),
]
FIRST = ["Ada", "Ben", "Chloé", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kiri", "Lena", "Mateo", "Nadia",
         "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vik", "Wen", "Yara", "Zoe"]
LAST = ["Okafor", "Lindqvist", "Nakamura", "Silva", "Kowalski", "Haddad", "Brennan", "Ivanova", "Mensah", "García",
        "Chen", "Novak", "Patel", "Dubois", "Schmidt", "Rossi", "Ahmed", "Tanaka", "O'Neill", "Kaur"]


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@contextmanager
def _own_timestamps(*model_classes):
    """Let bulk_create write the created_at/updated_at the simulation chose: auto_now and
    auto_now_add would stamp every row with the time of the run."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class Journey:
    """One candidate's way through the pipeline: (time, from index, to index, from state, to state)."""

    ability: float
    applied_at: datetime
    moves: list[tuple] = field(default_factory=list)
    stage: int = 0
    state: str = Application.State.ACTIVE
    entered_at: datetime | None = None


def simulate(rng: random.Random, now: datetime, stage_count: int) -> Journey:
    journey = Journey(ability=rng.gauss(0.0, 1.0), applied_at=now - timedelta(days=rng.uniform(0, HISTORY_DAYS)))
    at = journey.applied_at
    journey.moves.append((at, None, 0, "", Application.State.ACTIVE))
    journey.entered_at = at
    while True:
        at = at + timedelta(days=rng.expovariate(1.0 / MEAN_DAYS[journey.stage % len(MEAN_DAYS)]) + 0.1)
        if at >= now:
            return journey  # still waiting at this stage
        k = journey.stage
        if rng.random() < WITHDRAW:
            closing = Application.State.WITHDRAWN
        elif rng.random() < _logistic(_logit(MOVE_ON[k % len(MOVE_ON)]) + ABILITY_WEIGHT * journey.ability):
            if k + 1 < stage_count:
                journey.moves.append((at, k, k + 1, Application.State.ACTIVE, Application.State.ACTIVE))
                journey.stage, journey.entered_at = k + 1, at
                continue
            closing = Application.State.HIRED
        else:
            closing = Application.State.REJECTED
        journey.moves.append((at, k, k, Application.State.ACTIVE, closing))
        journey.state = closing
        return journey


class Command(BaseCommand):
    help = "Generate a role with many candidates, audit trails, scorecards and graded attempts (for benchmarks and reports)."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=10000)
        parser.add_argument("--attempts", type=int, default=50000)
        parser.add_argument("--role-slug", default="load-test")
        parser.add_argument("--questions", type=int, default=4, choices=range(1, len(QUESTIONS) + 1),
                            metavar=f"1..{len(QUESTIONS)}", help="Questions in the assessment (default 4).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="Delete the role and the data generated for it first.")

    def handle(self, *args, applications: int, attempts: int, role_slug: str, questions: int, seed: int, replace: bool,
               **options):
        if applications < 1 or attempts < 0:
            raise CommandError("--applications must be at least 1 and --attempts at least 0.")
        started = time.monotonic()
        if Role.objects.filter(slug=role_slug).exists():
            if not replace:
                raise CommandError(f"The role {role_slug!r} exists. Run again with --replace to delete it and "
                                   "the data generated for it, or choose another --role-slug.")
            self._delete(role_slug)
        with transaction.atomic(), _own_timestamps(User, Application, StageTransition, Scorecard, Attempt, Response):
            generator = Generator(role_slug=role_slug, rng=random.Random(seed), questions=QUESTIONS[:questions])
            counts = generator.run(applications=applications, attempts=attempts)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(
                f"Role {role_slug!r}: {counts['applications']} applications, {counts['transitions']} transitions, "
                f"{counts['scorecards']} scorecards, {counts['attempts']} graded attempts, {counts['responses']} responses "
                f"in {time.monotonic() - started:.1f} s."))

    @transaction.atomic
    def _delete(self, role_slug: str) -> None:
        assessment = Assessment.objects.filter(slug=_assessment_slug(role_slug)).first()
        # Children first: stages are protected while scorecards and audit rows point at them.
        Scorecard.objects.filter(application__role__slug=role_slug).delete()
        StageTransition.objects.filter(application__role__slug=role_slug).delete()
        Application.objects.filter(role__slug=role_slug).delete()
        Role.objects.filter(slug=role_slug).delete()
        User.objects.filter(username__startswith=_username_prefix(role_slug)).delete()  # and their attempts
        if assessment is not None:
            question_ids = list(assessment.items.values_list("question_id", flat=True))
            Attempt.objects.filter(assessment=assessment).delete()
            assessment.delete()
            Question.objects.filter(id__in=question_ids).delete()


class Generator:
    def __init__(self, *, role_slug: str, rng: random.Random, questions: list[tuple]):
        self.slug, self.rng, self.questions = role_slug, rng, questions
        self.now = timezone.now()
        # One unusable password for every generated account: hashing 10,000 would take minutes.
        self.password = make_password(None)
        self.has_time_spent = any(f.name == "time_spent_s" for f in Response._meta.concrete_fields)

    def run(self, *, applications: int, attempts: int) -> dict:
        role = role_create(slug=self.slug, title=f"Load test ({self.slug})",
                           description="Generated by generate_hiring_load.")
        stages = list(Stage.objects.filter(role=role).order_by("order"))
        assessment, questions = self._assessment()
        Stage.objects.filter(role=role, slug="technical-assessment").update(assessment=assessment)
        interviewers = self._interviewers()
        journeys = [simulate(self.rng, self.now, len(stages)) for _ in range(applications)]
        candidates = self._candidates(journeys)
        apps = self._applications(role, stages, candidates, journeys)
        transitions = self._transitions(stages, apps, journeys)
        scorecards = self._scorecards(stages, apps, journeys, interviewers)
        attempt_count, response_count = self._attempts(assessment, questions, candidates, journeys, stages, attempts)
        return {"applications": len(apps), "transitions": transitions, "scorecards": scorecards,
                "attempts": attempt_count, "responses": response_count}

    # -- people ----------------------------------------------------------------------------

    def _user(self, username: str, first: str, last: str, joined: datetime, **extra) -> User:
        return User(username=username, first_name=first, last_name=last, email=f"{username}@example.com",
                    password=self.password, date_joined=joined, **extra)

    def _interviewers(self) -> list[User]:
        users = User.objects.bulk_create(
            self._user(f"{_username_prefix(self.slug)}interviewer-{i:02d}", FIRST[(i * 7) % len(FIRST)], LAST[(i * 3) % len(LAST)],
                       self.now - timedelta(days=HISTORY_DAYS), is_staff=True)
            for i in range(INTERVIEWER_COUNT)
        )
        role_groups_ensure()[INTERVIEWERS].user_set.add(*users)
        return users

    def _candidates(self, journeys: list[Journey]) -> list[User]:
        return User.objects.bulk_create(
            (self._user(f"{_username_prefix(self.slug)}c{i:06d}", FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)],
                        j.applied_at) for i, j in enumerate(journeys)),
            batch_size=BATCH,
        )

    # -- the pipeline ----------------------------------------------------------------------

    def _applications(self, role: Role, stages: list[Stage], candidates: list[User], journeys: list[Journey]) -> list[Application]:
        return Application.objects.bulk_create(
            (Application(role=role, candidate=c, stage=stages[j.stage], state=j.state, stage_entered_at=j.entered_at,
                         created_at=j.applied_at, updated_at=j.moves[-1][0])
             for c, j in zip(candidates, journeys)),
            batch_size=BATCH,
        )

    def _transitions(self, stages: list[Stage], apps: list[Application], journeys: list[Journey]) -> int:
        rows = (
            StageTransition(application=app, actor=None,
                            from_stage=stages[k_from] if k_from is not None else None, to_stage=stages[k_to],
                            from_state=from_state, to_state=to_state, created_at=at, updated_at=at,
                            note="Applied" if k_from is None else "")
            for app, j in zip(apps, journeys) for at, k_from, k_to, from_state, to_state in j.moves
        )
        return len(StageTransition.objects.bulk_create(rows, batch_size=BATCH))

    def _scorecards(self, stages: list[Stage], apps: list[Application], journeys: list[Journey],
                    interviewers: list[User]) -> int:
        """Interviewers are assigned from the screening call on, and file a scorecard at every
        scorecard stage the candidate finished."""
        through = Application.interviewers.through
        assigned, scorecards = [], []
        for app, j in zip(apps, journeys):
            if j.stage == 0:
                continue
            panel = self.rng.sample(interviewers, 2)
            assigned += [through(application_id=app.id, user_id=u.id) for u in panel]
            for at, k_from, k_to, _, _ in j.moves[1:]:
                stage = stages[k_from]
                if not stage.uses_scorecards:
                    continue
                ratings = {s: min(4, max(1, round(2.5 + j.ability + self.rng.gauss(0, 0.7)))) for s in SCORECARD_SKILLS}
                overall = sum(ratings.values()) / len(ratings)
                scorecards.append(Scorecard(
                    application=app, stage=stage, interviewer=panel[0], ratings=ratings, overall=overall,
                    recommendation=_recommendation(overall), created_at=at, updated_at=at,
                ))
        through.objects.bulk_create(assigned, batch_size=BATCH)
        return len(Scorecard.objects.bulk_create(scorecards, batch_size=BATCH))

    # -- the assessment --------------------------------------------------------------------

    def _assessment(self) -> tuple[Assessment, list[tuple[Question, float, list[Option]]]]:
        assessment = Assessment.objects.create(
            slug=_assessment_slug(self.slug), title=f"Data science screen ({self.slug})", is_published=True,
            time_limit=timedelta(minutes=ATTEMPT_MINUTES), pass_mark_percent=60,
        )
        skills = {s.slug: s for s in Skill.objects.all()}
        questions = []
        for order, (kind, title, difficulty, points, level, skill_slug) in enumerate(self.questions):
            question = Question.objects.create(
                slug=f"{self.slug}-q{order + 1}", kind=kind, title=title, prompt=f"{title}?", difficulty=difficulty,
                points=points, status=Question.Status.PUBLISHED, estimated_minutes=5 + 3 * order,
            )
            options = []
            if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
                options = Option.objects.bulk_create(
                    Option(question=question, text=f"Option {i + 1}", is_correct=i < (2 if kind == Question.Kind.MULTIPLE_CHOICE else 1),
                           order=i) for i in range(4)
                )
            elif kind == Question.Kind.NUMERIC:
                NumericSpec.objects.create(question=question, answer=0.8, abs_tol=0.01)
            elif kind == Question.Kind.CODE:
                CodeSpec.objects.create(question=question, function_name="retention",
                                        reference_solution="def retention(df):\n    return df\n")
            skill = skills.get(skill_slug) or Skill.objects.create(slug=skill_slug, name=skill_slug.replace("-", " ").capitalize())
            skills[skill_slug] = skill
            question.skills.add(skill)
            AssessmentQuestion.objects.create(assessment=assessment, question=question, order=order)
            questions.append((question, level, options))
        return assessment, questions

    def _attempts(self, assessment: Assessment, questions: list, candidates: list[User], journeys: list[Journey],
                  stages: list[Stage], count: int) -> tuple[int, int]:
        """Candidates who reached the technical stage take it (some more than once, as practice);
        the rest of the attempts are spread over everyone."""
        if count == 0:
            return 0, 0
        technical = next((i for i, s in enumerate(stages) if s.slug == "technical-assessment"), len(stages) - 1)
        weights = [3.0 if j.stage >= technical else 1.0 for j in journeys]
        takers = self.rng.choices(range(len(candidates)), weights=weights, k=count)
        max_score = sum(q.points for q, _, _ in questions)
        done_attempts = done_responses = 0
        for start in range(0, count, BATCH):
            batch, scored = [], []
            for i in takers[start:start + BATCH]:
                j = journeys[i]
                span = max((self.now - j.applied_at).total_seconds() - 2 * ATTEMPT_MINUTES * 60, 60.0)
                started = j.applied_at + timedelta(seconds=self.rng.uniform(0, span))
                submitted = started + timedelta(minutes=self.rng.uniform(8, ATTEMPT_MINUTES))
                answers = [self._answer(q, level, options, j.ability) for q, level, options in questions]
                score = sum(s for s, _ in answers)
                batch.append(Attempt(
                    candidate_id=candidates[i].id, assessment=assessment, state=Attempt.State.GRADED,
                    seed=self.rng.getrandbits(48), started_at=started, deadline=started + timedelta(minutes=ATTEMPT_MINUTES),
                    submitted_at=submitted, submitted_by=Attempt.SubmittedBy.CANDIDATE,
                    graded_at=submitted + timedelta(seconds=5), score=score, max_score=max_score,
                    created_at=started, updated_at=submitted + timedelta(seconds=5),
                ))
                scored.append((answers, started, submitted))
            Attempt.objects.bulk_create(batch)
            responses = []
            for attempt, (answers, started, submitted) in zip(batch, scored):
                for position, ((question, _, _), (score, answer)) in enumerate(zip(questions, answers)):
                    response = Response(attempt_id=attempt.id, question=question, answer=answer, position=position,
                                        score=score, max_score=question.points, graded_at=attempt.graded_at,
                                        created_at=started, updated_at=submitted)
                    if self.has_time_spent:
                        response.time_spent_s = max(5, int(self.rng.gauss(60 * (question.estimated_minutes or 5) / 2, 60)))
                    responses.append(response)
            Response.objects.bulk_create(responses, batch_size=BATCH)
            done_attempts += len(batch)
            done_responses += len(responses)
        return done_attempts, done_responses

    def _answer(self, question: Question, level: float, options: list[Option], ability: float) -> tuple[float, dict]:
        """A score and a plausible answer: right with the chance ability gives against difficulty."""
        chance = _logistic(1.3 * (ability - level))
        kind = question.kind
        if kind == Question.Kind.CODE:
            passed = sum(self.rng.random() < chance for _ in range(4))
            return question.points * passed / 4, {"language": "python", "source": "def retention(df):\n    ...\n"}
        right = self.rng.random() < chance
        if kind == Question.Kind.SINGLE_CHOICE:
            return (question.points if right else 0.0), {"choice": options[0 if right else self.rng.randrange(1, 4)].id}
        if kind == Question.Kind.MULTIPLE_CHOICE:
            picked = [o.id for o in options[:2]] if right else [options[0].id, options[self.rng.randrange(2, 4)].id]
            return (question.points if right else 0.0), {"choices": picked}
        if kind == Question.Kind.NUMERIC:
            return (question.points if right else 0.0), {"value": 0.8 if right else round(self.rng.uniform(0, 2), 3)}
        return (question.points if right else 0.0), {"text": "survivorship bias" if right else "selection"}


def _username_prefix(role_slug: str) -> str:
    return f"{role_slug}."  # a slug has no dot: no other role's prefix can start with this one


def _assessment_slug(role_slug: str) -> str:
    return f"{role_slug}-assessment"


def _recommendation(overall: float) -> str:
    if overall >= 3.5:
        return Scorecard.Recommendation.STRONG_YES
    if overall >= 2.5:
        return Scorecard.Recommendation.YES
    if overall >= 1.75:
        return Scorecard.Recommendation.NO
    return Scorecard.Recommendation.STRONG_NO
