from django.apps import AppConfig


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
