from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholders"

    def ready(self) -> None:
        from accounts.sections import AccountSection, account_section_register
        from stakeholders.sections import stakeholder_section_context

        account_section_register(
            AccountSection(
                key="stakeholders",
                title="Key stakeholders",
                template="stakeholders/_section.html",
                order=20,
                context=stakeholder_section_context,
            )
        )
