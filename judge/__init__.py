"""Prep's judge: runs candidate code in an OS sandbox and grades it. Plain Python, standard
library only, no Django. `assessments/tasks.py` is its only caller in the web app."""

from judge.errors import JudgeError, SandboxUnavailable
from judge.python_function import judge_python_function
from judge.sandbox import sandbox_problems
from judge.types import FunctionSpec, FunctionTest, JudgeResult, Limits, TestResult, Verdict

__all__ = [
    "FunctionSpec",
    "FunctionTest",
    "JudgeError",
    "JudgeResult",
    "Limits",
    "SandboxUnavailable",
    "TestResult",
    "Verdict",
    "judge_python_function",
    "sandbox_problems",
]
