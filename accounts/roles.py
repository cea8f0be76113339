"""Roles are Django groups with model permissions."""

REVIEWERS = "Reviewers"  # recruiters and hiring managers: every candidate, every attempt
INTERVIEWERS = "Interviewers"  # the candidates they are assigned to, their scorecards and comments
AUTHORS = "Authors"

ROLE_PERMISSIONS = {
    REVIEWERS: [
        ("assessments", "view_attempt"),
        ("assessments", "view_submission"),
        ("assessments", "view_response"),
        ("assessments", "view_assessment"),
        ("assessments", "view_question"),
        ("assessments", "add_invitation"),
        ("assessments", "change_invitation"),
        ("assessments", "view_invitation"),
        ("assessments", "change_response"),
        ("hiring", "view_application"),
        ("hiring", "change_application"),
        ("hiring", "add_application"),
        ("hiring", "view_role"),
        ("hiring", "view_scorecard"),
        ("hiring", "add_scorecard"),
        ("hiring", "view_comment"),
        ("hiring", "add_comment"),
    ],
    INTERVIEWERS: [
        ("hiring", "view_assigned_application"),
        ("hiring", "view_scorecard"),
        ("hiring", "add_scorecard"),
        ("hiring", "view_comment"),
        ("hiring", "add_comment"),
    ],
    AUTHORS: [
        ("assessments", action + "_" + model)
        for model in ("question", "option", "numericspec", "codespec", "codetest", "assessment", "assessmentquestion", "skill")
        for action in ("add", "change", "view", "delete")
    ],
}
