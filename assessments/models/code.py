from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from assessments.models.questions import Question
from common.models import BaseModel


class CodeSpec(BaseModel):
    """How a code question is judged. Three styles:

    - function: the candidate writes a function; each CodeTest calls it and compares the value;
    - program: a stdin/stdout program; each ProgramTest feeds input and checks the output
      (Kattis problem packages import as this style);
    - sql: one SQL query on a fixture database, compared as a result set with the reference query's.
    """

    class Style(models.TextChoices):
        FUNCTION = "function", "Function"
        PROGRAM = "program", "Program (stdin/stdout)"
        SQL = "sql", "SQL query"

    class Language(models.TextChoices):
        PYTHON = "python", "Python 3"
        R = "r", "R"
        SQL = "sql", "SQL (SQLite)"
        C = "c", "C"
        CPP = "cpp", "C++"

    class Checker(models.TextChoices):
        TOKENS = "tokens", "Tokens (whitespace-tolerant)"
        EXACT = "exact", "Exact"
        FLOAT = "float", "Numbers with tolerance"
        UNORDERED_LINES = "unordered_lines", "Lines in any order"
        CUSTOM = "custom", "Custom validator"

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="code")
    style = models.CharField(max_length=10, choices=Style.choices, default=Style.FUNCTION)
    language = models.CharField(max_length=20, choices=Language.choices, default=Language.PYTHON)
    other_languages = models.JSONField(
        default=list, blank=True, help_text='Further languages a program may be written in, e.g. ["cpp", "c"].'
    )
    function_name = models.CharField(max_length=100, blank=True, help_text="Function style: the function to write.")
    data_stack = models.BooleanField(default=False, help_text="Python: numpy, pandas, scipy, scikit-learn, statsmodels available.")
    starter_code = models.TextField(blank=True)
    reference_solution = models.TextField(blank=True)
    time_limit_s = models.FloatField(default=2.0, validators=[MinValueValidator(0.1), MaxValueValidator(30)])
    memory_mb = models.PositiveIntegerField(default=256, validators=[MinValueValidator(16), MaxValueValidator(2048)])
    output_kb = models.PositiveIntegerField(default=64, validators=[MinValueValidator(1), MaxValueValidator(65536)])
    # program style: how output is checked (Kattis default validator flags and custom validators)
    checker = models.CharField(max_length=20, choices=Checker.choices, default=Checker.TOKENS)
    abs_tol = models.FloatField(null=True, blank=True)
    rel_tol = models.FloatField(null=True, blank=True)
    case_sensitive = models.BooleanField(default=False)
    space_sensitive = models.BooleanField(default=False)
    validator_flags = models.JSONField(default=list, blank=True, help_text="Arguments for a custom output validator.")
    # sql style
    fixture_sql = models.TextField(blank=True, help_text="SQL style: schema and data the query runs against.")
    order_matters = models.BooleanField(default=False, help_text="SQL style: rows must come in the reference order.")
    check_column_names = models.BooleanField(default=False, help_text="SQL style: column names must match.")
    source_package = models.CharField(max_length=200, blank=True, help_text="The problem package it was imported from.")

    def __str__(self):
        if self.style == self.Style.FUNCTION:
            return f"{self.get_language_display()}: {self.function_name}()"
        return f"{self.get_language_display()} {self.get_style_display().lower()}"

    @property
    def languages(self) -> list[str]:
        return [self.language, *[lang for lang in self.other_languages if lang != self.language]]


class Feedback(models.TextChoices):
    """What a candidate sees of one test's result (staff always see everything)."""

    NONE = "none", "Nothing (counts in the score only)"
    PASSFAIL = "passfail", "Passed or failed"
    VERDICT = "verdict", "Verdict (AC, WA, TLE, …)"
    HINT = "hint", "Verdict and the author's hint"
    FULL = "full", "Full: input, expected and actual output"


class CodeTest(BaseModel):
    """One call of the candidate's function: function(*args) must return `expected`."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="code_tests")
    name = models.CharField(max_length=100)
    args = models.JSONField(default=list, help_text="JSON list of positional arguments.")
    # null=True: a function may be expected to return None (JSON null reads back the same).
    expected = models.JSONField(null=True, blank=True, help_text="JSON value the function must return.")
    is_sample = models.BooleanField(default=False, help_text="Sample tests are shown to the candidate and used by Run.")
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    feedback = models.CharField(max_length=10, choices=Feedback.choices, blank=True, help_text="Default: full for samples, passed/failed for hidden tests.")
    hint = models.CharField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "name"], name="codetest_unique_name")]

    def __str__(self):
        return self.name


class ProgramTest(BaseModel):
    """One run of a stdin/stdout program: `input` on stdin, output checked against `answer`."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="program_tests")
    name = models.CharField(max_length=200)
    input = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    group = models.CharField(max_length=100, blank=True)
    checker_args = models.JSONField(default=list, blank=True, help_text="Extra validator arguments for this test.")
    is_sample = models.BooleanField(default=False)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    feedback = models.CharField(max_length=10, choices=Feedback.choices, blank=True)
    hint = models.CharField(max_length=500, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "name"], name="programtest_unique_name")]

    def __str__(self):
        return self.name


class TestGroup(BaseModel):
    class Aggregation(models.TextChoices):
        SUM = "sum", "Sum (fraction of its tests)"
        ALL = "all", "All or nothing"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="test_groups")
    name = models.CharField(max_length=100)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    aggregation = models.CharField(max_length=5, choices=Aggregation.choices, default=Aggregation.SUM)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["question", "name"], name="testgroup_unique_name")]

    def __str__(self):
        return self.name


class SupportFile(BaseModel):
    """A file the judge needs beside the candidate's code: a custom output validator's source
    (role=validator) or a Kattis include/<language>/ file added to submissions (role=include)."""

    class Role(models.TextChoices):
        VALIDATOR = "validator", "Output validator source"
        INCLUDE = "include", "Included with submissions"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="support_files")
    role = models.CharField(max_length=10, choices=Role.choices)
    language = models.CharField(max_length=20, blank=True, help_text="For include files: the language they go with.")
    name = models.CharField(max_length=200)
    content = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "role", "language", "name"], name="supportfile_unique")
        ]

    def __str__(self):
        return self.name


class ReferenceSubmission(BaseModel):
    """A solution with a known outcome: publishing checks it gets exactly that (a wrong answer
    must be caught by the tests, a brute force must time out). The expectations are the Kattis
    submission folders'."""

    class Expected(models.TextChoices):
        ACCEPTED = "accepted", "Accepted on every test"
        WRONG_ANSWER = "wrong_answer", "Wrong answer on some test"
        TIME_LIMIT_EXCEEDED = "time_limit_exceeded", "Time limit exceeded on some test"
        RUN_TIME_ERROR = "run_time_error", "Run-time error on some test"
        MEMORY_LIMIT_EXCEEDED = "memory_limit_exceeded", "Memory limit exceeded on some test"
        OUTPUT_LIMIT_EXCEEDED = "output_limit_exceeded", "Output limit exceeded on some test"
        REJECTED = "rejected", "Rejected (WA, TLE or RTE on some test)"
        BRUTE_FORCE = "brute_force", "Too slow (TLE or RTE on some test, never WA)"
        COMPILE_ERROR = "compile_error", "Compile error"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reference_submissions")
    name = models.CharField(max_length=200)
    language = models.CharField(max_length=20, choices=CodeSpec.Language.choices, default=CodeSpec.Language.PYTHON)
    source = models.TextField()
    expected = models.CharField(max_length=30, choices=Expected.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return f"{self.name} ({self.expected})"
