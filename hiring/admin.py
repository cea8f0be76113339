from django.contrib import admin

from hiring.services import stages_default
from hiring.models import Application, Comment, Role, Scorecard, Stage, StageTransition


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["order", "slug", "name", "assessment", "skills", "uses_scorecards", "invite_on_enter", "advance_on_pass"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["title", "is_open", "created_at"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [StageInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.stages.exists():
            stages_default(role=form.instance)  # a new role without stages gets the usual five


class StageTransitionInline(admin.TabularInline):
    model = StageTransition
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "from_stage", "to_stage", "from_state", "to_state", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class ScorecardInline(admin.TabularInline):
    model = Scorecard
    extra = 0
    fields = ["stage", "interviewer", "ratings", "overall", "recommendation", "notes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ["created_at", "author", "body"]
    readonly_fields = ["created_at", "author", "body"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["candidate", "role", "stage", "state", "updated_at"]
    list_filter = ["role", "state", "stage__name"]
    list_select_related = ["candidate", "role", "stage"]
    readonly_fields = ["stage", "state", "stage_entered_at"]  # moves go through the service so that they are audited
    filter_horizontal = ["interviewers"]
    inlines = [StageTransitionInline, ScorecardInline, CommentInline]
