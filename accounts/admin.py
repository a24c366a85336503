from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.directory import team_delete, user_delete
from accounts.history import change_record_many
from accounts.models import (
    Account,
    AuditEvent,
    Opportunity,
    OpportunityDeletion,
    Product,
    Team,
    User,
)
from accounts.permission_audit import (
    permission_changes_record,
    user_permissions_read,
)
from accounts.services import (
    account_name_check,
    account_renamed_announce,
    deal_delete,
)
from accounts.won_revenue import won_revenue_deal_cell, won_revenue_sync


@admin.register(User)
class LodeUserAdmin(UserAdmin):
    """Users, with every change to their access recorded in the audit."""

    fieldsets = (*(UserAdmin.fieldsets or ()), ("Lode", {"fields": ("role", "team")}))
    list_display = ("username", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm, change: bool
    ) -> None:
        # Read before the save; groups and permissions are saved after it,
        # in save_related, which compares and records.
        request._permissions_before = (  # type: ignore[attr-defined]
            user_permissions_read(user_ids=[obj.pk], with_grants=True).get(obj.pk)
            if change
            else None
        )
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)

        user = form.instance
        permission_changes_record(
            targets={user.pk: user},
            before={user.pk: getattr(request, "_permissions_before", None)},
            after=user_permissions_read(user_ids=[user.pk], with_grants=True),
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            source="admin",
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: User | None = None
    ) -> bool:
        # As through the API: nobody deletes themselves.
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        # The API's deletion: clears what named the user, audits an erasure.
        user_delete(
            target=obj,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            source="admin",
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset.exclude(pk=request.user.pk):
            self.delete_model(request, user)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams; a new manager changes who sees the team's accounts, so audit it."""

    list_display = ("name", "region", "manager")

    def save_model(
        self, request: HttpRequest, obj: Team, form: ModelForm, change: bool
    ) -> None:
        stored = Team.objects.filter(pk=obj.pk).select_related("manager").first()
        before = (
            {"manager": stored.manager.username if stored.manager else None}
            if change and stored
            else None
        )
        super().save_model(request, obj, form, change)

        permission_changes_record(
            targets={obj.pk: obj},
            before={obj.pk: before},
            after={obj.pk: {"manager": obj.manager.username if obj.manager else None}},
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            source="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Team) -> None:
        # The API's deletion: each member left without a team is audited.
        team_delete(
            team=obj,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
            expected_version=obj.updated_at,
            source="admin",
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for team in queryset:
            self.delete_model(request, team)


admin.site.register(Product)


class HistoryAdmin(admin.ModelAdmin):
    """Record each field a change form changes in the account's history.

    An import's undo reads hand edits from there, field by field.
    """

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm, change: bool
    ) -> None:
        stored = type(obj)._default_manager.filter(pk=obj.pk).first()
        super().save_model(request, obj, form, change)
        account = obj if isinstance(obj, Account) else obj.account
        if stored is None or account is None:
            return

        fields = {f.name: f.attname for f in obj._meta.concrete_fields}
        changes = {
            name: (getattr(stored, fields[name]), getattr(obj, fields[name]))
            for name in form.changed_data
            if name in fields
        }
        if isinstance(obj, Account) and "annual_revenue" in changes:
            # The amount with its currency, as the account page shows it.
            changes["annual_revenue"] = (
                cast(Account, stored).annual_revenue_text,
                obj.annual_revenue_text,
            )
        change_record_many(
            user=request.user,  # type: ignore[arg-type]
            account=account,
            target=obj,
            changes=changes,
        )


class AccountAdminForm(ModelForm):
    """An account as the admin edits it, its name checked as the API checks it."""

    # Who renames the account; None on the add form, which renames nothing.
    # Set per request by AccountAdmin.get_form.
    renamed_by: User | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        name = self.cleaned_data.get("name")
        if name is not None:
            # `instance.name` is still the stored name: the form's values
            # reach the instance after clean(). The admin's view is one
            # transaction, so the check's lock lasts until the save.
            account_name_check(account=self.instance, name=name, user=self.renamed_by)
        return self.cleaned_data


@admin.register(Account)
class AccountAdmin(HistoryAdmin):
    form = AccountAdminForm
    list_display = ("name", "sector", "country", "annual_revenue_text", "parent")
    search_fields = ("name",)
    readonly_fields = ("custom_values",)

    def get_form(
        self,
        request: HttpRequest,
        obj: Account | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[ModelForm]:
        # A new class on every call (modelform_factory), so the user set on
        # it is this request's alone. Only a rename is limited to those who
        # see every account; who adds one is the admin's add permission.
        form = cast(
            type[AccountAdminForm],
            super().get_form(request, obj, change=change, **kwargs),
        )
        form.renamed_by = cast(User, request.user) if obj is not None else None
        return form

    def save_model(
        self, request: HttpRequest, obj: Account, form: ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            account_renamed_announce(account=obj)


@admin.register(Opportunity)
class OpportunityAdmin(HistoryAdmin):
    """CRM deals; a hand edit here is kept when the import is undone."""

    list_display = ("external_id", "account", "product", "stage", "closed_on")
    search_fields = ("external_id", "account__name")
    list_select_related = ("account", "product")
    raw_id_fields = ("account", "owner")
    readonly_fields = ("custom_values",)

    def save_model(
        self, request: HttpRequest, obj: Opportunity, form: ModelForm, change: bool
    ) -> None:
        # The admin's change view runs in one transaction: the revenue
        # line follows in it, from the cell the deal counted in before.
        stored = Opportunity.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)

        won_revenue_sync(
            cells=[
                won_revenue_deal_cell(stored) if stored else None,
                won_revenue_deal_cell(obj),
            ]
        )

    def delete_model(self, request: HttpRequest, obj: Opportunity) -> None:
        deal_delete(deal=obj, user=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for deal in queryset.select_related("account"):
            deal_delete(deal=deal, user=request.user)  # type: ignore[arg-type]


@admin.register(OpportunityDeletion)
class OpportunityDeletionAdmin(admin.ModelAdmin):
    """Deals deleted by hand; delete one here to let an import bring it back."""

    list_display = ("external_id", "account", "deleted_by", "deleted_at")
    search_fields = ("external_id",)
    readonly_fields = ("external_id", "account", "deleted_by", "deleted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is written by Lode, never edited by hand."""

    list_display = ("created_at", "action", "actor_label", "target_label", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "target_label", "ip_address")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AuditEvent | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: AuditEvent | None = None
    ) -> bool:
        return False
