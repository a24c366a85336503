from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Account, Product, Team, User


@admin.register(User)
class LodeUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Lode", {"fields": ("role", "team")}))
    list_display = ("username", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")


admin.site.register(Team)
admin.site.register(Product)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "sector", "country", "annual_revenue_musd", "parent")
    search_fields = ("name",)
