from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from plans.models import (
    GateOverride,
    Plan,
    SellCycleTemplate,
    TemplateCheckpoint,
    TemplateStage,
)


class TemplateStageInline(admin.StackedInline):
    model = TemplateStage
    extra = 0


@admin.register(SellCycleTemplate)
class SellCycleTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "revision", "is_active", "updated_at"]
    readonly_fields = ["revision"]
    inlines = [TemplateStageInline]

    def save_related(
        self, request: HttpRequest, form: object, formsets: object, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[arg-type]
        # Any edit is a new revision; running pursuits keep their own copy.
        if change:
            SellCycleTemplate.objects.filter(pk=form.instance.pk).update(  # type: ignore[attr-defined]
                revision=F("revision") + 1
            )


@admin.register(TemplateCheckpoint)
class TemplateCheckpointAdmin(admin.ModelAdmin):
    list_display = ["description", "stage", "required"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["account", "fiscal_year", "status", "owner"]
    list_filter = ["status", "fiscal_year"]


@admin.register(GateOverride)
class GateOverrideAdmin(admin.ModelAdmin):
    list_display = ["pursuit", "from_stage", "to_stage", "overridden_by", "created_at"]
    readonly_fields = [field.name for field in GateOverride._meta.fields]
