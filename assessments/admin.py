from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from assessments.models import (
    AnswerPart,
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
    ReferenceSubmission,
    QuestionVariant,
    Regrade,
    RegradeItem,
    Response,
    Skill,
    Submission,
    SupportFile,
    TestGroup,
    TextAnswer,
)
from assessments.selectors import question_exposure_count
from assessments.services.imports import questions_import_upload
from assessments.services.packs import pack_zip
from assessments.services.regrades import (
    regrade_accept,
    regrade_candidates,
    regrade_discard,
    regrade_start,
    regrade_summary,
)
from assessments.services.invitations import invitation_resend, invitation_revoke, invitation_send
from assessments.services.submissions import submission_requeue
from assessments.services.validation import question_set_status
from assessments.services.variants import question_variants_discard
from assessments.services.versions import question_content_changed, question_snapshot, question_version_commit
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


class ReferenceSubmissionInline(admin.StackedInline):
    model = ReferenceSubmission
    extra = 0
    fields = [("order", "name", "language", "expected"), "source"]


class AnswerPartInline(admin.TabularInline):
    model = AnswerPart
    extra = 0
    fields = ["order", "key", "label", "policy", "abs_tol", "rel_tol", "digits", "weight", "unit"]


class VariantInline(admin.TabularInline):
    model = QuestionVariant
    extra = 0
    fields = ["index", "seed", "params", "answers", "dataset_names"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False
    max_num = 0

    @admin.display(description="Datasets")
    def dataset_names(self, variant):
        return ", ".join(sorted(variant.datasets)) or "—"


class VersionFilter(admin.SimpleListFilter):
    title = "version"
    parameter_name = "versions"

    def lookups(self, request, model_admin):
        return [("past", "Past versions")]

    def queryset(self, request, queryset):
        if self.value() == "past":
            return queryset.filter(version_of__isnull=False)
        return queryset.filter(version_of__isnull=True)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "version", "check_ok", "difficulty", "points", "skill_list", "exposure"]
    list_filter = [VersionFilter, "status", "kind", "difficulty", "skills", "category"]
    readonly_fields = ["exposure", "author", "version", "version_of", "check_ok", "check_detail", "checked_at"]
    actions = ["validate", "publish", "retire", "regrade", "export_pack"]
    search_fields = ["title", "slug", "prompt"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["skills"]
    inlines = [
        OptionInline, TextAnswerInline, NumericSpecInline, AnswerPartInline, CodeSpecInline, CodeTestInline,
        ProgramTestInline, TestGroupInline, SupportFileInline, ReferenceSubmissionInline,
    ]
    change_list_template = "admin/assessments/question/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="assessments_question_import"),
            *super().get_urls(),
        ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.version_of_id is not None:
            return False  # a past version is what some candidates were graded against: view only
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        # What candidates were shown must survive the edit: keep the stored content to compare.
        request._prep_before = question_snapshot(obj) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_prep_before", None)
        if before is None:
            return
        archived = question_version_commit(question=form.instance, before=before)
        if archived is not None:
            self.message_user(
                request,
                f"Saved as version {archived.version + 1}. Version {archived.version} stays as candidates saw it; "
                "use “Regrade past attempts” to review their scores against the new version.",
                messages.WARNING,
            )
        elif question_content_changed(before=before, question=form.instance):
            question_variants_discard(question=form.instance)

    @admin.action(description="Validate (checked by a grading worker: code and generators run in the sandbox)")
    def validate(self, request, queryset):
        self._check(request, queryset, Question.Status.VALIDATED)

    @admin.action(description="Publish (validated first, by a grading worker)")
    def publish(self, request, queryset):
        self._check(request, queryset, Question.Status.PUBLISHED)

    def _check(self, request, queryset, status):
        from assessments.tasks import question_validate

        ids = list(queryset.filter(version_of__isnull=True).values_list("id", flat=True))
        for question_id in ids:
            transaction.on_commit(lambda qid=question_id: question_validate.delay(qid, status), robust=True)
        self.message_user(
            request,
            f"{len(ids)} question(s) queued for checking; each becomes {status} if its answer key holds. "
            "The outcome appears in the “check” columns.",
            messages.SUCCESS,
        )

    @admin.action(description="Retire")
    def retire(self, request, queryset):
        done = 0
        for question in queryset:
            try:
                question_set_status(question=question, status=Question.Status.RETIRED)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, f"{done} question(s) now retired.", messages.SUCCESS)

    @admin.action(description="Regrade past attempts against this version (shows the differences first)")
    def regrade(self, request, queryset):
        started = 0
        for question in queryset.filter(version_of__isnull=True):
            for assessment in regrade_candidates(question=question):
                try:
                    regrade_start(assessment=assessment, question=question, user=request.user)
                    started += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{question.slug} in {assessment.slug}: {exc.message}", messages.ERROR)
        if not started:
            self.message_user(request, "No submitted attempt used an older version of these questions.", messages.INFO)
            return None
        self.message_user(request, f"{started} regrade(s) started: review and accept them below.", messages.SUCCESS)
        return redirect("admin:assessments_regrade_changelist")

    @admin.action(description="Export as a question pack (.zip)")
    def export_pack(self, request, queryset):
        data = pack_zip(questions=list(queryset.filter(version_of__isnull=True).prefetch_related("skills")))
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="questions.zip"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = QuestionImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = questions_import_upload(
                    upload=form.cleaned_data["file"], skip_unsupported=form.cleaned_data["skip_unsupported"]
                )
            except ApplicationError as exc:
                form.add_error("file", f"Nothing was imported. {exc.message}")
            else:
                for warning in result.warnings:
                    self.message_user(request, warning, messages.WARNING)
                self.message_user(
                    request, f"Imported {len(result.questions)} question(s) ({result.format}) as drafts.", messages.SUCCESS
                )
                return redirect("admin:assessments_question_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": "Import questions"}
        return TemplateResponse(request, "admin/assessments/question/import.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("skills").annotate(exposure=question_exposure_count())

    @admin.display(description="Exposure", ordering="exposure")
    def exposure(self, question):
        """How many attempts have shown this question, its past versions included."""
        return getattr(question, "exposure", None) if question.pk else None

    @admin.display(description="Skills")
    def skill_list(self, question):
        return ", ".join(s.name for s in question.skills.all())

    def get_inlines(self, request, obj):
        # Show only the parts that belong to the question's kind (all of them while adding).
        if obj is None:
            return self.inlines
        inlines = {
            Question.Kind.SINGLE_CHOICE: [OptionInline],
            Question.Kind.MULTIPLE_CHOICE: [OptionInline],
            Question.Kind.TRUE_FALSE: [OptionInline],
            Question.Kind.NUMERIC: [NumericSpecInline],
            Question.Kind.SHORT_TEXT: [TextAnswerInline],
            Question.Kind.FREE_TEXT: [],
            Question.Kind.DATA_ANALYSIS: [AnswerPartInline],
            Question.Kind.CODE: _code_inlines(obj),
        }[obj.kind]
        return inlines + ([VariantInline] if obj.is_parameterized else [])


class QuestionImportForm(forms.Form):
    file = forms.FileField(help_text="A question pack (.zip of a pack folder, or .yaml), GIFT (.gift/.txt) or Moodle XML (.xml).")
    skip_unsupported = forms.BooleanField(required=False, help_text="GIFT/Moodle: skip question types Prep does not support.")


class RegradeItemInline(admin.TabularInline):
    model = RegradeItem
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["candidate", "old_score", "new_score", "difference", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("response__attempt__candidate")

    @admin.display(description="Candidate")
    def candidate(self, item):
        return item.response.attempt.candidate

    @admin.display(description="Change")
    def difference(self, item):
        if item.new_score is None or item.old_score is None:
            return "—"
        delta = item.new_score - item.old_score
        return "no change" if abs(delta) < 1e-9 else f"{delta:+g}"


@admin.register(Regrade)
class RegradeAdmin(admin.ModelAdmin):
    list_display = ["question", "assessment", "state", "summary", "created_by", "created_at"]
    list_filter = ["state"]
    fields = ["assessment", "question", "state", "summary", "created_by", "decided_by", "decided_at", "detail"]
    readonly_fields = fields
    inlines = [RegradeItemInline]
    actions = ["accept", "discard"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # The summary column counts each regrade's items: fetch them with the page, not per row.
        return super().get_queryset(request).select_related("question", "assessment", "created_by").prefetch_related("items")

    @admin.display(description="Scores")
    def summary(self, regrade):
        return regrade_summary(regrade=regrade)["text"]

    @admin.action(description="Accept: apply the new scores")
    def accept(self, request, queryset):
        self._each(request, queryset, lambda r: regrade_accept(regrade=r, user=request.user), "accepted")

    @admin.action(description="Discard")
    def discard(self, request, queryset):
        self._each(request, queryset, lambda r: regrade_discard(regrade=r, user=request.user), "discarded")

    def _each(self, request, queryset, action, done):
        count = 0
        for regrade in queryset:
            try:
                action(regrade)
                count += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, f"{count} regrade(s) {done}.", messages.SUCCESS)


def _code_inlines(question: Question) -> list:
    style = getattr(getattr(question, "code", None), "style", CodeSpec.Style.FUNCTION)
    if style == CodeSpec.Style.FUNCTION:
        return [CodeSpecInline, CodeTestInline, ReferenceSubmissionInline]
    if style == CodeSpec.Style.SQL:
        return [CodeSpecInline, ProgramTestInline, ReferenceSubmissionInline]
    return [CodeSpecInline, ProgramTestInline, TestGroupInline, SupportFileInline, ReferenceSubmissionInline]


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
