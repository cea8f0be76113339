from django.contrib import admin

from hiring.models import Application, Role, Stage, StageTransition


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["order", "slug", "name", "assessment", "skills"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["title", "is_open", "created_at"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [StageInline]


class StageTransitionInline(admin.TabularInline):
    model = StageTransition
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "from_stage", "to_stage", "from_state", "to_state", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["candidate", "role", "stage", "state", "updated_at"]
    list_filter = ["role", "state", "stage__name"]
    list_select_related = ["candidate", "role", "stage"]
    readonly_fields = ["stage", "state"]  # moves go through the service so that they are audited
    inlines = [StageTransitionInline]
