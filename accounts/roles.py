"""Roles are Django groups with model permissions."""

REVIEWERS = "Reviewers"
AUTHORS = "Authors"

ROLE_PERMISSIONS = {
    REVIEWERS: [
        ("assessments", "view_attempt"),
        ("assessments", "view_submission"),
        ("assessments", "view_response"),
        ("assessments", "view_assessment"),
        ("assessments", "view_question"),
        ("hiring", "view_application"),
        ("hiring", "change_application"),
        ("hiring", "view_role"),
    ],
    AUTHORS: [
        ("assessments", action + "_" + model)
        for model in ("question", "option", "numericspec", "codespec", "codetest", "assessment", "assessmentquestion", "skill")
        for action in ("add", "change", "view", "delete")
    ],
}
