from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate


def coverage_counts_after_migrate(*, using: str, **kwargs: object) -> None:
    """Put back triggers a table rebuild dropped, and fold what is marked."""
    from stakeholders.coverage_counts import (
        coverage_counts_ensure,
        coverage_counts_fold,
    )

    coverage_counts_ensure(connection=connections[using])
    if using == DEFAULT_DB_ALIAS:
        coverage_counts_fold()


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholders"

    def ready(self) -> None:
        from accounts.import_writers import ImportWriter, import_writer_register
        from accounts.models import ChangeRecord
        from accounts.recognise import PERSON
        from accounts.sections import AccountSection, account_section_register
        from stakeholders.models import Stakeholder
        from stakeholders.receivers import receivers_connect
        from stakeholders.sections import stakeholder_section_context
        from stakeholders.wizard_people import people_write_start

        account_section_register(
            AccountSection(
                key="stakeholders",
                title="Key stakeholders",
                template="stakeholders/_section.html",
                order=20,
                context=stakeholder_section_context,
            )
        )
        import_writer_register(
            ImportWriter(
                entity=PERSON,
                start=people_write_start,
                models=(Stakeholder, ChangeRecord),
            )
        )
        receivers_connect()
        post_migrate.connect(
            coverage_counts_after_migrate,
            sender=self,
            dispatch_uid="stakeholders.coverage_counts_after_migrate",
        )
