"""Infrastructure faults. Nothing the candidate's code does is ever raised as one of these:
what the code does becomes a verdict."""


class JudgeError(Exception):
    """The judge could not grade for a reason that is not the candidate's (a bug, a host fault).
    Callers record the submission as an infrastructure error and may retry."""


class SandboxUnavailable(JudgeError):
    """The host cannot provide the sandbox (missing tool, no user namespaces, no cgroups...).
    The message names what is missing and how to fix it. Grading fails closed."""
