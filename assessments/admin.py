from django.contrib import admin, messages

from assessments.models import (
    Assessment,
    AssessmentDraw,
    AssessmentQuestion,
    Attempt,
    CodeSpec,
    CodeTest,
    Invitation,
    NumericSpec,
    Option,
    ProgramTest,
    Question,
    Response,
    Skill,
    Submission,
    SupportFile,
    TestGroup,
    TextAnswer,
)
from assessments.services.invitations import invitation_resend, invitation_revoke, invitation_send
from assessments.services.submissions import submission_requeue
from assessments.services.validation import question_set_status
from common.exceptions import ApplicationError


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = ["order", "text", "is_correct", "fraction", "feedback"]


class TextAnswerInline(admin.TabularInline):
    model = TextAnswer
    extra = 0
    fields = ["text", "fraction", "feedback"]


class NumericSpecInline(admin.StackedInline):
    model = NumericSpec
    extra = 0
    max_num = 1


class CodeSpecInline(admin.StackedInline):
    model = CodeSpec
    extra = 0
    max_num = 1
    fieldsets = [
        (None, {"fields": ["style", "language", "other_languages", "function_name", "data_stack"]}),
        ("Code", {"fields": ["starter_code", "reference_solution"]}),
        ("Limits", {"fields": ["time_limit_s", "memory_mb", "output_kb"]}),
        ("Program output checking", {"fields": ["checker", "abs_tol", "rel_tol", "case_sensitive", "space_sensitive"],
                                     "classes": ["collapse"]}),
        ("SQL", {"fields": ["fixture_sql", "order_matters", "check_column_names"], "classes": ["collapse"]}),
    ]


class CodeTestInline(admin.TabularInline):
    model = CodeTest
    extra = 0
    fields = ["order", "name", "args", "expected", "is_sample", "weight", "feedback", "hint"]


class ProgramTestInline(admin.StackedInline):
    model = ProgramTest
    extra = 0
    fields = [("order", "name", "group", "is_sample", "weight"), ("input", "answer"), ("feedback", "hint")]


class TestGroupInline(admin.TabularInline):
    model = TestGroup
    extra = 0


class SupportFileInline(admin.StackedInline):
    model = SupportFile
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "difficulty", "points", "skill_list", "exposure_count"]
    list_filter = ["status", "kind", "difficulty", "skills", "category"]
    readonly_fields = ["exposure_count", "author"]
    actions = ["validate", "publish", "retire"]

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Validate (the answer key must hold; code runs in the sandbox)")
    def validate(self, request, queryset):
        self._set_status(request, queryset, Question.Status.VALIDATED)

    @admin.action(description="Publish (validates first)")
    def publish(self, request, queryset):
        self._set_status(request, queryset, Question.Status.PUBLISHED)

    @admin.action(description="Retire")
    def retire(self, request, queryset):
        self._set_status(request, queryset, Question.Status.RETIRED)

    def _set_status(self, request, queryset, status):
        done = 0
        for question in queryset:
            try:
                question_set_status(question=question, status=status)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, f"{done} question(s) now {status}.", messages.SUCCESS)
    search_fields = ["title", "slug", "prompt"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["skills"]
    inlines = [
        OptionInline, TextAnswerInline, NumericSpecInline, CodeSpecInline, CodeTestInline, ProgramTestInline, TestGroupInline, SupportFileInline
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("skills")

    @admin.display(description="Skills")
    def skill_list(self, question):
        return ", ".join(s.name for s in question.skills.all())

    def get_inlines(self, request, obj):
        # Show only the parts that belong to the question's kind (all of them while adding).
        if obj is None:
            return self.inlines
        return {
            Question.Kind.SINGLE_CHOICE: [OptionInline],
            Question.Kind.MULTIPLE_CHOICE: [OptionInline],
            Question.Kind.TRUE_FALSE: [OptionInline],
            Question.Kind.NUMERIC: [NumericSpecInline],
            Question.Kind.SHORT_TEXT: [TextAnswerInline],
            Question.Kind.FREE_TEXT: [],
            Question.Kind.CODE: _code_inlines(obj),
        }[obj.kind]


def _code_inlines(question: Question) -> list:
    style = getattr(getattr(question, "code", None), "style", CodeSpec.Style.FUNCTION)
    if style == CodeSpec.Style.FUNCTION:
        return [CodeSpecInline, CodeTestInline]
    if style == CodeSpec.Style.SQL:
        return [CodeSpecInline, ProgramTestInline]
    return [CodeSpecInline, ProgramTestInline, TestGroupInline, SupportFileInline]


class AssessmentQuestionInline(admin.TabularInline):
    model = AssessmentQuestion
    extra = 0
    fields = ["order", "question"]
    autocomplete_fields = ["question"]


class AssessmentDrawInline(admin.TabularInline):
    model = AssessmentDraw
    extra = 0
    fields = ["order", "count", "skill", "difficulty", "kind"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "time_limit", "pass_mark_percent", "is_published", "is_public", "shuffle_questions"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [AssessmentQuestionInline, AssessmentDrawInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["candidate", "assessment", "extra_time", "available_from", "available_until", "link_expires_at",
                    "link_used_at", "sent_at", "revoked_at"]
    list_filter = ["assessment", "revoked_at"]
    list_select_related = ["candidate", "assessment"]
    autocomplete_fields = ["candidate"]
    readonly_fields = ["link_used_at", "sent_at", "send_count"]
    actions = ["send", "resend", "revoke"]

    @admin.action(description="Send the invitation e-mail")
    def send(self, request, queryset):
        self._each(request, queryset, lambda i: invitation_send(invitation=i), "sent")

    @admin.action(description="Resend with a fresh link (the old link stops working)")
    def resend(self, request, queryset):
        self._each(request, queryset, lambda i: invitation_resend(invitation_id=i.pk), "resent")

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        self._each(request, queryset, lambda i: invitation_revoke(invitation_id=i.pk), "revoked")

    def _each(self, request, queryset, action, done: str):
        count = 0
        for invitation in queryset.select_related("candidate", "assessment"):
            try:
                action(invitation)
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{invitation.candidate}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{count} invitation(s) {done}.", messages.SUCCESS)


class ResponseInline(admin.TabularInline):
    model = Response
    extra = 0
    can_delete = False
    readonly_fields = ["question", "answer", "score", "max_score", "graded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["candidate", "assessment", "state", "started_at", "deadline", "score", "max_score"]
    list_filter = ["state", "assessment"]
    list_select_related = ["candidate", "assessment"]
    readonly_fields = [f.name for f in Attempt._meta.fields]
    inlines = [ResponseInline]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "attempt", "question", "kind", "status", "verdict", "score", "created_at"]
    list_filter = ["status", "verdict", "kind"]
    list_select_related = ["attempt__candidate", "attempt__assessment", "question"]
    readonly_fields = [f.name for f in Submission._meta.fields]
    actions = ["requeue"]

    @admin.action(description="Requeue failed submissions")
    def requeue(self, request, queryset):
        count = sum(submission_requeue(submission_id=s.pk) for s in queryset.filter(status=Submission.Status.ERROR))
        self.message_user(request, f"{count} submission(s) requeued.", messages.SUCCESS)
