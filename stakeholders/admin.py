from django.contrib import admin

from stakeholders.models import BuyingRole, SectorRoleDefault


@admin.register(BuyingRole)
class BuyingRoleAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "kind", "position")
    list_editable = ("position",)
    prepopulated_fields = {"key": ("name",)}


@admin.register(SectorRoleDefault)
class SectorRoleDefaultAdmin(admin.ModelAdmin):
    list_display = ("sector", "role")
    list_filter = ("sector",)
