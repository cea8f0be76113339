from datetime import timedelta

import factory

from assessments.models import (
    AnswerPart,
    Assessment,
    AssessmentQuestion,
    CodeSpec,
    CodeTest,
    Invitation,
    NumericSpec,
    Option,
    Question,
    QuestionVariant,
    Skill,
)
from tests.accounts.factories import UserFactory


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ["slug"]

    slug = "statistical-analysis"
    name = "Statistical analysis"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    slug = factory.Sequence(lambda n: f"question-{n}")
    kind = Question.Kind.SINGLE_CHOICE
    title = factory.Sequence(lambda n: f"Question {n}")
    prompt = "What is the answer?"
    points = 2
    status = Question.Status.PUBLISHED


def single_choice_question(**kwargs) -> Question:
    question = QuestionFactory(kind=Question.Kind.SINGLE_CHOICE, **kwargs)
    Option.objects.create(question=question, text="Right", is_correct=True, order=0)
    Option.objects.create(question=question, text="Wrong", is_correct=False, order=1)
    question.skills.add(SkillFactory())
    return question


def multiple_choice_question(**kwargs) -> Question:
    question = QuestionFactory(kind=Question.Kind.MULTIPLE_CHOICE, **kwargs)
    for i, (text, correct) in enumerate([("A", True), ("B", True), ("C", False)]):
        Option.objects.create(question=question, text=text, is_correct=correct, order=i)
    return question


def numeric_question(*, answer=0.05, abs_tol=0.001, rel_tol=0.0, **kwargs) -> Question:
    question = QuestionFactory(kind=Question.Kind.NUMERIC, **kwargs)
    NumericSpec.objects.create(question=question, answer=answer, abs_tol=abs_tol, rel_tol=rel_tol)
    question.skills.add(SkillFactory(slug="machine-learning", name="Machine learning"))
    return question


SQUARE_SOLUTION = "def square(x):\n    return x * x\n"


def code_question(**kwargs) -> Question:
    """square(x): one sample test and two hidden ones, weighted."""
    question = QuestionFactory(kind=Question.Kind.CODE, points=4, **kwargs)
    CodeSpec.objects.create(
        question=question,
        function_name="square",
        starter_code="def square(x):\n    pass\n",
        reference_solution=SQUARE_SOLUTION,
        time_limit_s=1.0,
    )
    CodeTest.objects.create(question=question, name="two", args=[2], expected=4, is_sample=True, order=0)
    CodeTest.objects.create(question=question, name="negative", args=[-3], expected=9, order=1)
    CodeTest.objects.create(question=question, name="big", args=[10**6], expected=10**12, weight=2, order=2)
    question.skills.add(SkillFactory(slug="programming", name="Programming"))
    return question


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    slug = factory.Sequence(lambda n: f"assessment-{n}")
    title = factory.Sequence(lambda n: f"Assessment {n}")
    time_limit = timedelta(minutes=30)
    is_published = True


def assessment_with(*questions, **kwargs) -> Assessment:
    assessment = AssessmentFactory(**kwargs)
    for i, question in enumerate(questions):
        AssessmentQuestion.objects.create(assessment=assessment, question=question, order=i)
    return assessment


def invite(assessment, candidate=None, **kwargs) -> Invitation:
    return Invitation.objects.create(assessment=assessment, candidate=candidate or UserFactory(), **kwargs)


AB_GENERATOR = '''
def generate(rng):
    n = int(rng.integers(80, 120))
    a = [round(float(x), 3) for x in rng.normal(10, 2, n)]
    b = [round(float(x), 3) for x in rng.normal(11, 2, n)]
    diff = sum(b) / n - sum(a) / n
    rows = [{"group": "A", "value": x} for x in a] + [{"group": "B", "value": x} for x in b]
    return {"params": {"n": n}, "answers": {"mean_diff": diff}, "datasets": {"ab.csv": rows}}
'''


def data_analysis_question(**kwargs) -> Question:
    """Mean difference of a generated A/B sample: one part, checked to 0.01."""
    question = QuestionFactory(kind=Question.Kind.DATA_ANALYSIS, prompt="Each group has {{n}} users. Mean of B minus A?",
                               generator=AB_GENERATOR, **kwargs)
    AnswerPart.objects.create(question=question, key="mean_diff", label="Mean difference (B - A)", abs_tol=0.01,
                              policy=NumericSpec.Policy.ABSOLUTE)
    return question


def variants_of(question: Question, rows: list[dict]) -> list[QuestionVariant]:
    """Variants as a grading worker stores them (what the generator returned, per seed)."""
    return QuestionVariant.objects.bulk_create(
        QuestionVariant(question=question, index=i, seed=i, params=row.get("params", {}),
                        answers={k: row[k] for k in ("answer", "answers", "correct") if k in row},
                        datasets=row.get("datasets", {}))
        for i, row in enumerate(rows)
    )
