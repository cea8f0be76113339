from assessments.models.assessments import Assessment, AssessmentDraw, AssessmentQuestion, Invitation
from assessments.models.attempts import Attempt, Response, Submission
from assessments.models.code import CodeSpec, CodeTest, Feedback, ProgramTest, SupportFile, TestGroup
from assessments.models.questions import NumericSpec, Option, Question, Skill, TextAnswer

__all__ = [
    "Assessment",
    "AssessmentDraw",
    "AssessmentQuestion",
    "Attempt",
    "CodeSpec",
    "CodeTest",
    "Feedback",
    "Invitation",
    "NumericSpec",
    "Option",
    "ProgramTest",
    "Question",
    "Response",
    "Skill",
    "Submission",
    "SupportFile",
    "TextAnswer",
    "TestGroup",
]
