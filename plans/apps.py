from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        from celery.signals import task_success

        from accounts.sections import AccountSection, account_section_register
        from plans.erasure import on_stakeholder_erased
        from plans.sections import plan_section_context
        from plans.tasks import on_score_run_finished
        from stakeholders.signals import stakeholder_erased

        stakeholder_erased.connect(
            on_stakeholder_erased, dispatch_uid="plans_stakeholder_erased"
        )
        # A finished score run changes every dashboard's scores: the task
        # that ran it is followed by one that builds the large ones again.
        task_success.connect(
            on_score_run_finished, dispatch_uid="plans_dashboards_after_run"
        )

        account_section_register(
            AccountSection(
                key="plan",
                title="Account plan",
                template="plans/_account_section_row.html",
                order=30,
                context=plan_section_context,
                converts_money=True,
            )
        )
