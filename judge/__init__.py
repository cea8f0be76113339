"""Prep's judge: runs candidate code in an OS sandbox and grades it. Plain Python, standard
library only, no Django. `assessments/tasks.py` is its only caller in the web app."""

from judge.errors import JudgeError, SandboxUnavailable
from judge.python_function import judge_python_function
from judge.sandbox import sandbox_problems, set_prewarm, sweep_free_slots, upkeep_deferred
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
    "set_prewarm",
    "sweep_free_slots",
    "upkeep_deferred",
]

# stdin/stdout programs, output checkers and Kattis problem packages.
from judge.languages import UnsupportedLanguage, language_for  # noqa: E402
from judge.program_types import Checker, ProgramSpec, ProgramTest, ProgramTestResult, TestGroup  # noqa: E402
from judge.programs import judge_program  # noqa: E402

__all__ += [
    "Checker",
    "ProgramSpec",
    "ProgramTest",
    "ProgramTestResult",
    "TestGroup",
    "UnsupportedLanguage",
    "judge_program",
    "language_for",
]

# Languages beyond plain Python: the data stack, R and SQL (runtimes: judge/runtimes.py).
from judge.r_function import judge_r_function  # noqa: E402
from judge.runtimes import RuntimeUnavailable, runtime_problems  # noqa: E402
from judge.sql import judge_sql  # noqa: E402
from judge.sql_types import SqlSpec, SqlTest  # noqa: E402

__all__ += [
    "RuntimeUnavailable",
    "SqlSpec",
    "SqlTest",
    "judge_r_function",
    "judge_sql",
    "runtime_problems",
]

# Question generators: an author's generate(rng) per seed, on the data-stack runtime.
from judge.generate import generate_variants  # noqa: E402
from judge.types import GenerateResult  # noqa: E402

__all__ += ["GenerateResult", "generate_variants"]
