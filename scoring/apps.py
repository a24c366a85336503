from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scoring"

    def ready(self) -> None:
        from scoring.receivers import receivers_connect

        receivers_connect()
        from scoring.sections import scoring_section_register

        scoring_section_register()
