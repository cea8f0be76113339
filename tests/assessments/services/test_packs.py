"""Prep's own pack format round-trips losslessly, and a bad pack imports nothing."""

import pytest
import yaml
from django.core.management import call_command

from assessments.models import Assessment, Question
from assessments.services.demo import bank_load
from assessments.services.packs import PackError, pack_import, pack_read, pack_write, question_export
from tests.assessments.factories import code_question

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {q.slug: question_export(q) for q in Question.objects.filter(version_of__isnull=True).prefetch_related("skills")}


def test_a_pack_round_trips_losslessly(tmp_path):
    bank_load()
    program = code_question()
    program.code.style = "program"
    program.code.save()
    program.program_tests.create(name="sample/1", input="1 2\n", answer="3\n", is_sample=True, group="")
    program.program_tests.create(name="secret/big", input="10 20\n", answer="30\n", group="g1", weight=2)
    program.test_groups.create(name="g1", weight=3, aggregation="all")
    program.support_files.create(role="validator", name="validate.py", content="import sys\nsys.exit(42)\n")
    before = snapshot()
    pack_write(questions=Question.objects.filter(version_of__isnull=True), path=tmp_path / "pack",
               assessments=Assessment.objects.all())
    Question.objects.update(title="changed", prompt="changed")
    program.program_tests.all().delete()

    call_command("import_questions", str(tmp_path / "pack"), stdout=open("/dev/null", "w"))

    assert snapshot() == before
    assert (tmp_path / "pack" / "data" / program.slug / "001.in").read_text() == "10 20\n"


def test_a_bad_question_refuses_the_whole_pack(tmp_path):
    pack = {"questions": [
        {"slug": "fine", "kind": "numeric", "title": "Fine", "prompt": "x", "answer": 1.0},
        {"slug": "broken", "kind": "single_choice", "title": "Broken", "prompt": "x",
         "options": [{"text": "a", "correct": False}]},
    ]}
    file = tmp_path / "pack.yaml"
    file.write_text(yaml.safe_dump(pack))
    with pytest.raises(PackError, match="question 2 \\(broken\\): no option is correct"):
        pack_import(data=pack_read(file), source="pack.yaml")
    assert not Question.objects.exists()


def test_invalid_yaml_is_refused_with_its_line(tmp_path):
    file = tmp_path / "pack.yaml"
    file.write_text("questions:\n  - slug: a\n    title: [unclosed\n")
    with pytest.raises(PackError, match="line"):
        pack_read(file)


def test_a_data_file_outside_the_pack_is_refused(tmp_path):
    (tmp_path / "pack").mkdir()
    (tmp_path / "secret.txt").write_text("nope")
    (tmp_path / "pack" / "pack.yaml").write_text(yaml.safe_dump({"questions": [
        {"slug": "p", "kind": "code", "title": "P", "prompt": "x", "style": "program",
         "program_tests": [{"name": "t", "input_file": "../secret.txt", "answer": ""}]},
    ]}))
    with pytest.raises(PackError, match="outside the pack"):
        pack_read(tmp_path / "pack")


def test_unknown_skills_are_refused(tmp_path):
    with pytest.raises(PackError, match="unknown skill"):
        pack_import(data={"questions": [
            {"slug": "n", "kind": "numeric", "title": "N", "prompt": "x", "answer": 2, "skills": ["astrology"]}
        ]})


def test_export_questions_writes_the_assessment_and_its_questions(tmp_path):
    bank_load()
    call_command("export_questions", str(tmp_path / "out"), "--assessment", "data-science-fundamentals",
                 stdout=open("/dev/null", "w"))
    data = yaml.safe_load((tmp_path / "out" / "pack.yaml").read_text())
    assessment = Assessment.objects.get(slug="data-science-fundamentals")
    assert data["assessments"][0]["questions"] == [i.question.slug for i in assessment.items.order_by("order")]
    assert {q["slug"] for q in data["questions"]} == set(data["assessments"][0]["questions"])
