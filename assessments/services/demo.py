"""Load a question bank file (assessments/demo/bank.yaml format) idempotently."""

from datetime import timedelta
from pathlib import Path

import yaml
from django.db import transaction

from assessments.models import (
    Assessment,
    AssessmentQuestion,
    CodeSpec,
    CodeTest,
    NumericSpec,
    Option,
    Question,
    Skill,
)
from common.exceptions import ApplicationError

DEMO_BANK = Path(__file__).resolve().parent.parent / "demo" / "bank.yaml"


@transaction.atomic
def bank_load(*, path: Path = DEMO_BANK) -> Assessment:
    """Create or update skills, questions and the assessment described in the file.

    Questions are matched by slug, and their parts are replaced, so running it twice changes nothing."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ApplicationError(f"{path}: not valid YAML: {exc}") from exc
    skills = {}
    for s in data["skills"]:
        skills[s["slug"]], _ = Skill.objects.update_or_create(slug=s["slug"], defaults={"name": s["name"]})

    questions = {}
    for q in data["questions"]:
        try:
            questions[q["slug"]] = _question_load(q, skills)
        except (KeyError, ValueError) as exc:
            raise ApplicationError(f"{path}: question {q.get('slug', '?')}: {exc!r}") from exc

    a = data["assessment"]
    assessment, _ = Assessment.objects.update_or_create(
        slug=a["slug"],
        defaults={
            "title": a["title"],
            "description": a.get("description", ""),
            "time_limit": timedelta(minutes=a["time_limit_minutes"]),
            "pass_mark_percent": a["pass_mark_percent"],
            "is_published": True,
        },
    )
    if not assessment.attempts.exists():  # never reshuffle an assessment someone has taken
        assessment.items.all().delete()
        AssessmentQuestion.objects.bulk_create(
            AssessmentQuestion(assessment=assessment, question=questions[slug], order=i)
            for i, slug in enumerate(a["questions"])
        )
    return assessment


def _question_load(q: dict, skills: dict) -> Question:
    question, _ = Question.objects.update_or_create(
        slug=q["slug"],
        defaults={
            "kind": q["kind"],
            "title": q["title"],
            "prompt": q["prompt"].strip(),
            "difficulty": q.get("difficulty", "medium"),
            "points": q.get("points", 1),
            "explanation": q.get("explanation", "").strip(),
        },
    )
    question.skills.set([skills[s] for s in q.get("skills", [])])
    kind = q["kind"]
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
        question.options.all().delete()
        Option.objects.bulk_create(
            Option(question=question, text=o["text"], is_correct=bool(o.get("correct")), order=i)
            for i, o in enumerate(q["options"])
        )
    elif kind == Question.Kind.NUMERIC:
        NumericSpec.objects.update_or_create(
            question=question,
            defaults={
                "answer": float(q["answer"]),
                "abs_tol": float(q.get("abs_tol", 0)),
                "rel_tol": float(q.get("rel_tol", 0)),
                "unit": q.get("unit", ""),
            },
        )
    elif kind == Question.Kind.CODE:
        CodeSpec.objects.update_or_create(
            question=question,
            defaults={
                "language": q.get("language", "python"),
                "function_name": q["function_name"],
                "starter_code": q.get("starter_code", ""),
                "reference_solution": q.get("reference_solution", ""),
                "time_limit_s": float(q.get("time_limit_s", 2)),
                "memory_mb": int(q.get("memory_mb", 256)),
            },
        )
        question.code_tests.all().delete()
        CodeTest.objects.bulk_create(
            CodeTest(
                question=question,
                name=t["name"],
                args=t["args"],
                expected=t["expected"],
                is_sample=bool(t.get("sample")),
                weight=float(t.get("weight", 1)),
                order=i,
            )
            for i, t in enumerate(q["tests"])
        )
    else:
        raise ValueError(f"unknown kind {kind}")
    return question
