from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def revenue_quarters_after_migrate(*, using: str, **kwargs: object) -> None:
    """Put back the quarter-sum triggers a table rebuild may have dropped."""
    from accounts.revenue_quarters import revenue_quarters_ensure

    revenue_quarters_ensure(connection=connections[using])


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import permission_audit, team_versions, user_removal
        from accounts.import_checks import import_check_register
        from accounts.revenue_replaced import revenue_replaced_check

        permission_audit.receivers_connect()
        user_removal.receivers_connect()
        team_versions.receivers_connect()
        import_check_register(
            key="accounts.revenue_replaced", check=revenue_replaced_check
        )
        post_migrate.connect(
            revenue_quarters_after_migrate,
            sender=self,
            dispatch_uid="accounts.revenue_quarters_after_migrate",
        )
