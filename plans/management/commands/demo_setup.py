"""Load the bundled data set, score it, add synthetic people and plans.

It lives in plans, the one app that may use all the others.
"""

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from accounts.models import Team, User
from accounts.services import maven_import_directory
from scoring.models import ScoreRun
from scoring.services import score_run_execute, score_run_request

DEMO_PASSWORD = "lode-demo-2026"
DEMO_EXTRAS = ["stakeholders_demo", "plans_demo", "reviews_demo"]
FINISHED = (ScoreRun.Status.SUCCEEDED, ScoreRun.Status.FAILED)
# How long to wait for a worker that claimed the run before the setup did.
WORKER_WAIT_SECONDS = 120


class Command(BaseCommand):
    help = "Import the bundled CRM data, score it and create demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="Address the demo will be served on, for the closing message.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        job = maven_import_directory(keep_good_rows=True)
        self.stdout.write(
            f"Import {job.pk}: {job.status}, {len(job.issues)} rows reported"
            f"{': ' + job.error if job.error else ''}"
        )

        # The setup scores in process, so it never hangs on a queue that no
        # worker reads. A worker that claimed the run first keeps it, and
        # the bounded wait below follows it to the end.
        requested = score_run_request(trigger="demo")
        score_run_execute(run_id=requested.pk)
        run = self._scored(requested)
        if run.status != ScoreRun.Status.SUCCEEDED or not run.is_current:
            raise CommandError(f"Score run {run.pk} ended {run.status}: {run.message}")
        self.stdout.write(f"Score run {run.pk}: {run.accounts_scored} accounts scored")

        # The data set has no people and no plans: these commands add
        # deterministic synthetic ones, labelled as such, on top of it.
        for command in DEMO_EXTRAS:
            call_command(command, stdout=self.stdout)

        logins = self._logins()
        self.stdout.write(
            f"Ready in {time.monotonic() - started:.1f} s. "
            f"Log in at {options['url']} with password {DEMO_PASSWORD} as:"
        )
        for username, what in logins:
            self.stdout.write(f"  {username:<24} {what}")

    def _scored(self, run: ScoreRun) -> ScoreRun:
        """Return the run once finished, waiting a bounded time for a worker."""
        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        run.refresh_from_db()
        while run.status not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.5)
            run.refresh_from_db()
        if run.status not in FINISHED:
            raise CommandError(
                f"Score run {run.pk} is still {run.status} after "
                f"{WORKER_WAIT_SECONDS} s: a Celery worker claimed it and has "
                "not finished; check the worker's log, or stop it and run "
                "the setup again to score in process."
            )
        return run

    def _logins(self) -> list[tuple[str, str]]:
        ops = self._user("ops", role=User.Role.OPS, first_name="Sales", last_name="Ops")
        executive = self._user(
            "exec", role=User.Role.EXECUTIVE, first_name="Erin", last_name="Executive"
        )
        team = (
            Team.objects.filter(manager__isnull=False)
            .annotate(
                accounts=Count("members__account_memberships__account", distinct=True)
            )
            .order_by("-accounts", "name")
            .select_related("manager")
            .first()
        )
        logins = [(ops.username, "sales ops: sees all, imports, recomputes")]
        logins.append((executive.username, "executive: reads every account"))
        if team is None:
            return logins

        manager = team.manager
        rep = (
            team.members.filter(role=User.Role.REP)
            .annotate(accounts=Count("account_memberships"))
            .order_by("-accounts", "username")
            .first()
        )
        for person in filter(None, [manager, rep]):
            person.set_password(DEMO_PASSWORD)
            person.save(update_fields=["password"])
        if manager is not None:
            logins.append((manager.username, f"manager of {team.name}"))
        if rep is not None:
            logins.append((rep.username, f"rep on {team.name}: sees own accounts"))
        return logins

    def _user(self, username: str, **fields: Any) -> User:
        user, _ = User.objects.update_or_create(username=username, defaults=fields)
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user
