"""Question packs: Prep's own format (YAML, round-trips losslessly) and the neutral form the
GIFT / Moodle XML / Kattis importers produce. Imports are all or nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify

from assessments.models import (
    Assessment,
    AssessmentDraw,
    AssessmentQuestion,
    CodeSpec,
    CodeTest,
    NumericSpec,
    Option,
    ProgramTest,
    Question,
    ReferenceSubmission,
    Skill,
    SupportFile,
    AnswerPart,
    TestGroup,
    TextAnswer,
)
from common.exceptions import ApplicationError

PACK_FILE = "pack.yaml"
QUESTION_FIELDS = ["kind", "title", "prompt", "difficulty", "points", "explanation", "category", "choice_scoring",
                   "text_match", "rubric", "source", "status", "hints", "estimated_minutes", "generator", "variant_count"]
CODE_FIELDS = ["style", "language", "other_languages", "function_name", "data_stack", "starter_code",
               "reference_solution", "time_limit_s", "memory_mb", "output_kb", "checker", "abs_tol", "rel_tol",
               "case_sensitive", "space_sensitive", "validator_flags", "fixture_sql", "order_matters", "check_column_names",
               "source_package"]
NUMERIC_FIELDS = ["answer", "policy", "abs_tol", "rel_tol", "digits", "alternatives", "unit"]
PART_FIELDS = ["key", "label", "policy", "abs_tol", "rel_tol", "digits", "weight", "unit"]


class PackError(ApplicationError):
    pass


# --- reading ---------------------------------------------------------------------------------

def pack_read(path: Path) -> dict:
    """Read a pack: a folder with pack.yaml (data files beside it) or a single .yaml file."""
    file = path / PACK_FILE if path.is_dir() else path
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{file}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise PackError(f"{file}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise PackError(f"{file}: a pack is a mapping with a `questions` list")
    base = file.parent
    for q in data["questions"]:
        if isinstance(q, dict) and q.get("generator_file"):
            q["generator"] = _read_inside(base, q.pop("generator_file"), file)
        for test in (q.get("program_tests") or []) if isinstance(q, dict) else []:
            for key in ("input", "answer"):
                ref = test.pop(f"{key}_file", None)
                if ref is not None:
                    test[key] = _read_inside(base, ref, file)
    return data


def _read_inside(base: Path, ref: str, pack_file: Path) -> str:
    target = (base / ref).resolve()
    if base.resolve() not in target.parents:
        raise PackError(f"{pack_file}: {ref} lies outside the pack")
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{pack_file}: cannot read {ref}: {exc}") from exc


# --- writing to the database -------------------------------------------------------------

@transaction.atomic
def pack_import(*, data: dict, source: str = "", default_status: str = Question.Status.DRAFT) -> list[Question]:
    """Create or update every skill, question and assessment of a pack, or nothing at all.
    Questions without a status get `default_status` (imports start as drafts)."""
    # The pack's questions already here are locked in id order before any is changed: attempt
    # starts lock them in that order too (attempt_start), and an import holds them to its end.
    slugs = [q["slug"] for q in data.get("questions") or [] if isinstance(q, dict) and isinstance(q.get("slug"), str)]
    list(Question.objects.filter(slug__in=slugs).order_by("id").select_for_update().values_list("id"))
    skills = {}
    for s in data.get("skills") or []:
        skills[s["slug"]], _ = Skill.objects.update_or_create(slug=s["slug"], defaults={"name": s["name"]})
    questions = []
    seen: set[str] = set()
    for index, q in enumerate(data["questions"], start=1):
        where = q.get("source") or f"{source} question {index} ({q.get('slug', '?')})"
        try:
            if q["slug"] in seen:
                raise ValueError(f"slug {q['slug']!r} appears twice")
            seen.add(q["slug"])
            questions.append(question_upsert_versioned(data={"status": default_status, **q}, skills=skills))
        except PackError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise PackError(f"{where}: {detail}") from exc
    by_slug = {q.slug: q for q in questions}
    for a in data.get("assessments") or ([data["assessment"]] if data.get("assessment") else []):
        assessment_upsert(data=a, questions=by_slug)
    return questions


def question_upsert_versioned(*, data: dict, skills: dict) -> Question:
    """question_upsert, keeping the previous content as a version if candidates have seen it."""
    from assessments.services.versions import question_snapshot, question_version_commit

    existing = Question.objects.filter(slug=data.get("slug"), version_of__isnull=True).first()
    before = question_snapshot(existing) if existing is not None else None
    question = question_upsert(data=data, skills=skills)
    if before is not None:
        question_version_commit(question=question, before=before)
    return question


def question_upsert(*, data: dict, skills: dict) -> Question:
    kind = data["kind"]
    if kind not in Question.Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    fields = {f: data[f] for f in QUESTION_FIELDS if f in data and data[f] is not None}
    fields["prompt"] = (fields.get("prompt") or "").strip()
    question, _ = Question.objects.update_or_create(slug=data["slug"], defaults=fields)
    missing = [s for s in data.get("skills", []) if s not in skills and not Skill.objects.filter(slug=s).exists()]
    if missing:
        raise ValueError(f"unknown skill(s) {', '.join(missing)}")
    question.skills.set(Skill.objects.filter(slug__in=data.get("skills", [])))

    question.options.all().delete()
    question.text_answers.all().delete()
    question.parts.all().delete()
    NumericSpec.objects.filter(question=question).delete()
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE, Question.Kind.TRUE_FALSE):
        options = data["options"]
        Option.objects.bulk_create(
            Option(question=question, text=str(o["text"]), is_correct=bool(o.get("correct", (o.get("fraction") or 0) > 0)),
                   fraction=o.get("fraction"), feedback=o.get("feedback", ""), order=i)
            for i, o in enumerate(options)
        )
        _check_choices(question, kind)
    elif kind == Question.Kind.NUMERIC:
        numeric = {f: data[f] for f in NUMERIC_FIELDS if data.get(f) is not None}
        if "answer" in numeric:
            numeric["answer"] = float(numeric["answer"])
        elif not question.is_parameterized:
            raise ValueError("a numeric question needs an answer (or a generator that returns one)")
        NumericSpec.objects.create(question=question, **numeric)
    elif kind == Question.Kind.DATA_ANALYSIS:
        parts = data.get("parts") or []
        if not parts:
            raise ValueError("a data-analysis question needs at least one part")
        if not question.is_parameterized:
            raise ValueError("a data-analysis question needs a generator (it makes each candidate's dataset)")
        AnswerPart.objects.bulk_create(
            AnswerPart(question=question, order=i, **{f: p[f] for f in PART_FIELDS if p.get(f) is not None})
            for i, p in enumerate(parts)
        )
    elif kind == Question.Kind.SHORT_TEXT:
        answers = data["answers"]
        if not answers:
            raise ValueError("a short-text question needs at least one accepted answer")
        TextAnswer.objects.bulk_create(
            TextAnswer(question=question, text=str(a["text"]), fraction=float(a.get("fraction", 1.0)),
                       feedback=a.get("feedback", ""))
            for a in answers
        )
    if kind == Question.Kind.CODE:
        _code_upsert(question, data)
    else:
        CodeSpec.objects.filter(question=question).delete()
    return question


def _check_choices(question: Question, kind: str) -> None:
    credits = [o.credit for o in question.options.all()]
    if not credits:
        raise ValueError("a choice question needs options")
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE) and max(credits) <= 0:
        raise ValueError("no option is correct")
    if kind == Question.Kind.MULTIPLE_CHOICE and not any(c > 0 for c in credits):
        raise ValueError("no option is correct")


def _code_upsert(question: Question, data: dict) -> None:
    code = {f: data[f] for f in CODE_FIELDS if f in data and data[f] is not None}
    CodeSpec.objects.update_or_create(question=question, defaults=code)
    question.code_tests.all().delete()
    question.program_tests.all().delete()
    question.test_groups.all().delete()
    question.support_files.all().delete()
    question.reference_submissions.all().delete()
    ReferenceSubmission.objects.bulk_create(
        ReferenceSubmission(question=question, name=r["name"], language=r.get("language") or code.get("language", "python"),
                            source=r["source"], expected=r["expected"], order=i)
        for i, r in enumerate(data.get("reference_submissions") or [])
    )
    bad = [r["expected"] for r in data.get("reference_submissions") or []
           if r["expected"] not in ReferenceSubmission.Expected.values]
    if bad:
        raise ValueError(f"unknown expected outcome(s) {', '.join(map(str, bad))} "
                         f"(one of {', '.join(ReferenceSubmission.Expected.values)})")
    CodeTest.objects.bulk_create(
        CodeTest(question=question, name=t["name"], args=t["args"], expected=t["expected"],
                 is_sample=bool(t.get("sample")), weight=float(t.get("weight", 1)), feedback=t.get("feedback", ""),
                 hint=t.get("hint", ""), order=i)
        for i, t in enumerate(data.get("tests") or [])
    )
    ProgramTest.objects.bulk_create(
        ProgramTest(question=question, name=t["name"], input=t.get("input", ""), answer=t.get("answer", ""),
                    group=t.get("group", ""), checker_args=t.get("checker_args", []), is_sample=bool(t.get("sample")), weight=float(t.get("weight", 1)),
                    feedback=t.get("feedback", ""), hint=t.get("hint", ""), order=i)
        for i, t in enumerate(data.get("program_tests") or [])
    )
    TestGroup.objects.bulk_create(
        TestGroup(question=question, name=g["name"], weight=float(g.get("weight", 1)),
                  aggregation=g.get("aggregation", "sum"))
        for g in data.get("test_groups") or []
    )
    SupportFile.objects.bulk_create(
        SupportFile(question=question, role=f["role"], language=f.get("language", ""), name=f["name"],
                    content=f["content"])
        for f in data.get("support_files") or []
    )


def assessment_upsert(*, data: dict, questions: dict[str, Question]) -> Assessment:
    assessment, _ = Assessment.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "title": data["title"],
            "description": data.get("description", ""),
            "time_limit": timedelta(minutes=data["time_limit_minutes"]),
            "pass_mark_percent": data["pass_mark_percent"],
            "is_published": data.get("published", True),
            "is_public": data.get("public", False),
            "shuffle_questions": data.get("shuffle_questions", False),
            "shuffle_options": data.get("shuffle_options", False),
            "show_explanations": data.get("show_explanations", False),
        },
    )
    if not assessment.attempts.exists():  # never rebuild an assessment someone has taken
        assessment.draws.all().delete()
        for i, draw in enumerate(data.get("draws") or []):
            skill = Skill.objects.filter(slug=draw["skill"]).first() if draw.get("skill") else None
            if draw.get("skill") and skill is None:
                raise PackError(f"assessment {data['slug']}: draw {i + 1}: unknown skill {draw['skill']}")
            AssessmentDraw.objects.create(assessment=assessment, count=int(draw["count"]), skill=skill,
                                          difficulty=draw.get("difficulty", ""), kind=draw.get("kind", ""), order=i)
        unknown = [slug for slug in data["questions"] if slug not in questions and not Question.objects.filter(slug=slug).exists()]
        if unknown:
            raise PackError(f"assessment {data['slug']}: unknown question(s) {', '.join(unknown)}")
        assessment.items.all().delete()
        AssessmentQuestion.objects.bulk_create(
            AssessmentQuestion(assessment=assessment, question=questions.get(slug) or Question.objects.get(slug=slug), order=i)
            for i, slug in enumerate(data["questions"])
        )
    return assessment


# --- the neutral form of GIFT / Moodle XML -------------------------------------------------------

def neutral_to_pack(q: dict) -> dict:
    """Turn an importer's neutral question (assessments.formats) into a pack question."""
    kind = q["kind"]
    out = {
        "slug": slugify(q["slug"])[:100] or "question",
        "title": (q.get("title") or q["prompt"][:60] or "Untitled").strip()[:200],
        "prompt": q.get("prompt", ""),
        "points": float(q.get("points") or 1.0),
        "explanation": q.get("explanation", ""),
        "category": q.get("category", "")[:200],
        "source": q.get("source", "")[:300],
        "kind": kind,
    }
    if kind in ("single_choice", "multiple_choice"):
        out["options"] = [{"text": o["text"], "fraction": float(o["fraction"]), "feedback": o.get("feedback", "")}
                          for o in q["options"]]
        if kind == "multiple_choice":
            out["choice_scoring"] = "partial"
    elif kind == "true_false":
        truth = bool(q["answer"])
        out["options"] = [
            {"text": "True", "fraction": 1.0 if truth else 0.0, "feedback": q.get("feedback_true", "")},
            {"text": "False", "fraction": 0.0 if truth else 1.0, "feedback": q.get("feedback_false", "")},
        ]
    elif kind == "numeric":
        answers = sorted(q["answers"], key=lambda a: -float(a.get("fraction", 1)))
        best = answers[0]
        if float(best.get("fraction", 1)) < 1:
            raise ValueError(f"{q.get('source', '')}: no numeric answer earns full credit")
        out.update(answer=float(best["value"]), abs_tol=float(best.get("abs_tol", 0)), policy="absolute",
                   alternatives=[{"value": float(a["value"]), "abs_tol": float(a.get("abs_tol", 0)),
                                  "fraction": float(a.get("fraction", 1))} for a in answers[1:] if float(a.get("fraction", 0)) > 0])
    elif kind == "short_text":
        out["answers"] = [{"text": a["text"], "fraction": float(a.get("fraction", 1)), "feedback": a.get("feedback", "")}
                          for a in q["answers"] if float(a.get("fraction", 0)) > 0]
        out["text_match"] = "exact" if q.get("case_sensitive") else "normalized"
    elif kind == "essay":
        out["kind"] = "free_text"
        out["rubric"] = q.get("rubric", "")
    else:
        raise ValueError(f"{q.get('source', '')}: unknown kind {kind!r}")
    return out


# --- export ------------------------------------------------------------------------------------

def question_export(question: Question) -> dict:
    data = {"slug": question.slug, **{f: getattr(question, f) for f in QUESTION_FIELDS},
            "skills": sorted(s.slug for s in question.skills.all())}
    kind = question.kind
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE, Question.Kind.TRUE_FALSE):
        data["options"] = [{"text": o.text, "correct": o.is_correct, "fraction": o.fraction, "feedback": o.feedback}
                           for o in question.options.order_by("order", "id")]
    elif kind == Question.Kind.NUMERIC:
        data.update({f: getattr(question.numeric, f) for f in NUMERIC_FIELDS})
    elif kind == Question.Kind.SHORT_TEXT:
        data["answers"] = [{"text": a.text, "fraction": a.fraction, "feedback": a.feedback} for a in question.text_answers.all()]
    elif kind == Question.Kind.DATA_ANALYSIS:
        data["parts"] = [{f: getattr(p, f) for f in PART_FIELDS} for p in question.parts.all()]
    elif kind == Question.Kind.CODE:
        data.update({f: getattr(question.code, f) for f in CODE_FIELDS})
        data["tests"] = [{"name": t.name, "args": t.args, "expected": t.expected, "sample": t.is_sample, "weight": t.weight,
                          "feedback": t.feedback, "hint": t.hint} for t in question.code_tests.order_by("order", "id")]
        data["program_tests"] = [{"name": t.name, "input": t.input, "answer": t.answer, "group": t.group,
                                  "checker_args": t.checker_args,
                                  "sample": t.is_sample, "weight": t.weight, "feedback": t.feedback, "hint": t.hint}
                                 for t in question.program_tests.order_by("order", "id")]
        data["test_groups"] = [{"name": g.name, "weight": g.weight, "aggregation": g.aggregation} for g in question.test_groups.all()]
        data["support_files"] = [{"role": f.role, "language": f.language, "name": f.name, "content": f.content}
                                 for f in question.support_files.order_by("role", "language", "name")]
        data["reference_submissions"] = [{"name": r.name, "language": r.language, "expected": r.expected, "source": r.source}
                                         for r in question.reference_submissions.all()]
    return data


def pack_write(*, questions, path: Path, assessments=()) -> Path:
    """Write a pack folder: pack.yaml, with program test data in data/<slug>/ files."""
    path.mkdir(parents=True, exist_ok=True)
    exported = []
    skills: dict[str, str] = {}
    for question in questions:
        data = question_export(question)
        for skill in question.skills.all():
            skills[skill.slug] = skill.name
        if data.get("generator"):
            (path / "generators").mkdir(exist_ok=True)
            (path / "generators" / f"{question.slug}.py").write_text(data.pop("generator"), encoding="utf-8")
            data["generator_file"] = f"generators/{question.slug}.py"
        for i, test in enumerate(data.get("program_tests", [])):
            folder = path / "data" / question.slug
            folder.mkdir(parents=True, exist_ok=True)
            for key, suffix in (("input", "in"), ("answer", "ans")):
                name = f"{i:03d}.{suffix}"
                (folder / name).write_text(test.pop(key), encoding="utf-8")
                test[f"{key}_file"] = f"data/{question.slug}/{name}"
        exported.append(data)
    pack = {
        "skills": [{"slug": slug, "name": name} for slug, name in sorted(skills.items())],
        "questions": exported,
        "assessments": [
            {"slug": a.slug, "title": a.title, "description": a.description,
             "time_limit_minutes": a.time_limit.total_seconds() / 60, "pass_mark_percent": a.pass_mark_percent,
             "published": a.is_published, "public": a.is_public,
             "shuffle_questions": a.shuffle_questions, "shuffle_options": a.shuffle_options,
             "show_explanations": a.show_explanations,
             "draws": [{"count": d.count, "skill": d.skill.slug if d.skill else "", "difficulty": d.difficulty,
                        "kind": d.kind} for d in a.draws.select_related("skill")],
             "questions": [item.question.slug for item in a.items.select_related("question").order_by("order", "id")]}
            for a in assessments
        ],
    }
    (path / PACK_FILE).write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return path


def pack_zip(*, questions, assessments=()) -> bytes:
    """A pack folder (as pack_write makes it) in a zip archive."""
    import io
    import tempfile
    import zipfile

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="prep-export-") as tmp:
        folder = pack_write(questions=questions, path=Path(tmp) / "pack", assessments=assessments)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(folder).as_posix())
    return buffer.getvalue()
