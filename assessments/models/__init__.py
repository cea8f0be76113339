from assessments.models.assessments import Assessment, AssessmentDraw, AssessmentQuestion, Invitation
from assessments.models.attempts import Attempt, Response, Submission
from assessments.models.code import CodeSpec, CodeTest, Feedback, ProgramTest, ReferenceSubmission, SupportFile, TestGroup
from assessments.models.integrity import IntegrityEvent, SimilarityFlag
from assessments.models.regrades import Regrade, RegradeItem
from assessments.models.questions import AnswerPart, NumericSpec, Option, Question, QuestionVariant, Skill, TextAnswer

__all__ = [
    "AnswerPart",
    "Assessment",
    "AssessmentDraw",
    "AssessmentQuestion",
    "Attempt",
    "CodeSpec",
    "CodeTest",
    "Feedback",
    "IntegrityEvent",
    "Invitation",
    "NumericSpec",
    "Option",
    "ProgramTest",
    "Question",
    "QuestionVariant",
    "ReferenceSubmission",
    "Regrade",
    "RegradeItem",
    "Response",
    "SimilarityFlag",
    "Skill",
    "Submission",
    "SupportFile",
    "TextAnswer",
    "TestGroup",
]
