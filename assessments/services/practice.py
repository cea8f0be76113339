"""Practice: untimed sessions drawn from the published bank by skill area and difficulty, with
instant feedback, and new variants of parameterized items each time.

A practice session is an ordinary attempt of a practice assessment (one per skill area and
difficulty, made on first use): the same grading, the same pages, no timer that matters."""

from datetime import timedelta

from django.db import transaction

from accounts.models import User
from assessments import scoring
from assessments.models import Assessment, AssessmentDraw, Attempt, Question, Response, Skill
from assessments.selectors import practice_eligible
from assessments.services.attempts import attempt_start
from assessments.services.responses import attempt_lock_open
from assessments.variants import render
from common.exceptions import ApplicationError, Conflict, NotFound

QUESTIONS_PER_SESSION = 5
PRACTICE_TIME = timedelta(days=7)  # untimed in practice; the attempt still needs a deadline


def practice_pool(*, skill: Skill | None, difficulty: str):
    pool = practice_eligible(Question.objects.filter(status=Question.Status.PUBLISHED, version_of__isnull=True))
    if skill is not None:
        pool = pool.filter(skills=skill)
    if difficulty:
        pool = pool.filter(difficulty=difficulty)
    return pool.distinct()


@transaction.atomic
def practice_start(*, candidate: User, skill: Skill | None, difficulty: str = "") -> Attempt:
    """Start (or resume) a practice session of up to five questions."""
    if difficulty and difficulty not in Question.Difficulty.values:
        raise ApplicationError("Unknown difficulty.", {"difficulty": difficulty})
    available = practice_pool(skill=skill, difficulty=difficulty).count()
    if not available:
        raise ApplicationError("There are no published questions for that skill and difficulty yet.")
    name = skill.name if skill else "All skills"
    label = f" ({Question.Difficulty(difficulty).label.lower()})" if difficulty else ""
    assessment, _ = Assessment.objects.get_or_create(
        slug=f"practice-{skill.slug if skill else 'all'}-{difficulty or 'any'}",
        defaults={"title": f"Practice: {name}{label}", "mode": Assessment.Mode.PRACTICE, "is_public": True,
                  "is_published": True, "time_limit": PRACTICE_TIME, "pass_mark_percent": 70,
                  "shuffle_options": True, "show_explanations": True, "records_integrity": False,
                  "description": "Untimed practice with instant feedback. Each session draws new questions and new numbers."},
    )
    draw = assessment.draws.first() or AssessmentDraw(assessment=assessment, skill=skill, difficulty=difficulty, count=1)
    draw.count = min(QUESTIONS_PER_SESSION, available)
    draw.save()
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    return attempt


@transaction.atomic
def practice_check(*, attempt_id: int, question_id: int) -> dict:
    """Instant feedback in practice: the saved answer scored now, the explanation and the key."""
    attempt = attempt_lock_open(attempt_id=attempt_id)
    if attempt.assessment.mode != Assessment.Mode.PRACTICE:
        raise Conflict("Answers are checked only in practice; this is an assessment.")
    response = (Response.objects.select_related("question__numeric", "question__code", "variant")
                .prefetch_related("question__options", "question__text_answers", "question__parts")
                .filter(attempt=attempt, question_id=question_id).first())
    if response is None:
        raise NotFound("This question is not part of the attempt.")
    question, variant = response.question, response.variant
    if question.kind == Question.Kind.CODE:
        raise ApplicationError("Use Submit: code is checked on every test.")
    params = variant.params if variant else {}
    feedback = {"explanation": render(question.explanation, params), "key": answer_key(question, variant)}
    if question.kind == Question.Kind.FREE_TEXT:
        return {**feedback, "credit": None, "correct": None, "rubric": question.rubric}
    credit = scoring.answer_credit(question=question, answer=response.answer, variant=variant)
    response.score = round(response.max_score * credit, 6)
    response.save(update_fields=["score", "updated_at"])  # counts towards the readiness view
    return {**feedback, "credit": credit, "correct": credit >= 1.0}


def answer_key(question: Question, variant) -> str:
    """The right answer in words, for practice feedback (never shown in assessments)."""
    key = variant.answers if variant else {}
    params = variant.params if variant else {}
    options = sorted(question.options.all(), key=lambda o: (o.order, o.id))
    if question.kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE, Question.Kind.TRUE_FALSE):
        correct = key.get("correct")
        chosen = [o for i, o in enumerate(options) if i in correct] if correct is not None else [o for o in options if o.credit > 0]
        return "; ".join(render(o.text, params) for o in chosen)
    if question.kind == Question.Kind.NUMERIC:
        value = key.get("answer", question.numeric.answer)
        return f"{value:g} {question.numeric.unit}".strip()
    if question.kind == Question.Kind.DATA_ANALYSIS:
        answers = key.get("answers") or {}
        return "; ".join(f"{p.label}: {answers.get(p.key, float('nan')):g}" for p in question.parts.all())
    if question.kind == Question.Kind.SHORT_TEXT:
        accepted = key.get("answer")
        if accepted is not None:
            return str(accepted[0] if isinstance(accepted, list) else accepted)
        best = question.text_answers.order_by("-fraction").first()
        return best.text if best else ""
    return ""
