"""Shared fixtures: named people, real services, the browser.

With CI=true a test that needs PostgreSQL, Redis, a Celery worker or the
browser fails when the service is missing; elsewhere it is skipped, so the
suite also runs on the embedded default.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import Browser, Page
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.models import Account, Opportunity, Team, User
from config.celery import app as celery_app
from tests.accounts.factories import (
    AccountFactory,
    ProductFactory,
    TeamFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM would
# otherwise refuse to run beside it in the live-server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PROJECT_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# When the deal fixture was last changed, so its ETag is known.
READ_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    """Stop on SIGTERM the way Ctrl-C stops, so fixtures end what they started.

    Python's default for SIGTERM ends the process at once, which would leave
    a test's Celery worker or beat running against Redis and the test
    database, taking the next run's tasks.
    """
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def require_service(available: bool, reason: str) -> None:
    """Fail under CI, skip elsewhere, when a real service is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def eager_tasks(settings: Settings) -> Iterator[None]:
    """Run Celery tasks in process unless a test asks for the real worker."""
    settings.TASKS_IN_BACKGROUND_THREAD = False
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def compiled_queries_checked(settings: Settings) -> None:
    """Compare each query kept compiled with a fresh compile of it."""
    settings.COMPILED_QUERIES_CHECKED = True


@pytest.fixture(autouse=True)
def plain_static_storage(settings: Settings) -> None:
    """Serve static files from the source folders, as the demo does.

    Production collects them into a hashed manifest first; tests render pages
    without running collectstatic.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def postgres(db: None) -> None:
    require_service(
        connection.vendor == "postgresql",
        "this test needs PostgreSQL: set DATABASE_URL to a postgres:// URL",
    )


def redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    require_service(
        redis_reachable(), "this test needs Redis: set REDIS_URL and start Redis"
    )
    return settings.REDIS_URL


@pytest.fixture
def celery_worker_env() -> dict[str, str]:
    """Extra environment for the worker (and beat); a test module may override."""
    return {}


def celery_process_env(redis_url: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a worker or beat run against the test database."""
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
        "REDIS_URL": redis_url,
        **extra,
    }


@pytest.fixture
def celery_worker_pool() -> list[str]:
    """The worker's pool options; a test module may override."""
    return ["--pool=solo", "--concurrency=1"]


@contextmanager
def celery_worker_started(
    env: dict[str, str], pool: list[str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a real Celery worker, wait until it answers, stop it after."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        *pool,
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    worker = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=log)
    celery_app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start; see {log_path}")
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()


@pytest.fixture
def celery_worker_process(
    transactional_db: None,
    postgres: None,
    redis_url: str,
    celery_worker_env: dict[str, str],
    celery_worker_pool: list[str],
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a real Celery worker on Redis against the test database."""
    env = celery_process_env(redis_url, celery_worker_env)
    log_path = PROJECT_DIR / "var" / "test-worker.log"
    with celery_worker_started(env, celery_worker_pool, log_path) as worker:
        yield worker


@pytest.fixture
def celery_worker(celery_worker_process: subprocess.Popen[bytes]) -> None:
    """A real Celery worker runs for the test (celery_worker_process)."""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_service(
        shutil.which(CHROMIUM) is not None,
        f"browser tests need Chromium at {CHROMIUM} (Debian package chromium)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def browser_login(page: Page, live_server: LiveServer, username: str) -> None:
    """Log in through the real login form."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")


# Named people for access tests: Rita is a rep on Acme's team, Mark
# manages Rita's team, Otto is a rep elsewhere, Eve is an executive, Oona
# runs sales ops.


@pytest.fixture
def team(db: None) -> Team:
    return TeamFactory.create(name="Central")


@pytest.fixture
def manager(team: Team) -> User:
    user = UserFactory.create(username="mark", role=User.Role.MANAGER, team=team)
    team.manager = user
    team.save()
    return user


@pytest.fixture
def rep(team: Team, manager: User) -> User:
    return UserFactory.create(username="rita", role=User.Role.REP, team=team)


@pytest.fixture
def outsider(db: None) -> User:
    return UserFactory.create(
        username="otto", role=User.Role.REP, team=TeamFactory.create(name="West")
    )


@pytest.fixture
def executive(db: None) -> User:
    return UserFactory.create(username="eve", role=User.Role.EXECUTIVE)


@pytest.fixture
def ops(db: None) -> User:
    return UserFactory.create(username="oona", role=User.Role.OPS)


@pytest.fixture
def bruce(db: None) -> User:
    """A rep who edits by hand what an import wrote."""
    return UserFactory.create(username="bruce", first_name="Bruce", last_name="Wayne")


@pytest.fixture
def media_in_tmp(settings: Settings, tmp_path: Path) -> None:
    """Keep the files a test uploads in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def account(rep: User) -> Account:
    account = AccountFactory.create(name="Acme Corporation")
    account.team_members.add(rep)
    return account


@pytest.fixture
def deal(account: Account, rep: User) -> Opportunity:
    deal = Opportunity.objects.create(
        external_id="0065g00000Q1w2eAAB",
        account=account,
        product=ProductFactory.create(name="GTX Pro"),
        owner=rep,
        stage=Opportunity.Stage.ENGAGING,
        engaged_on=date(2026, 1, 12),
        closed_on=date(2026, 3, 31),
        close_value=Decimal("48000.00"),
        currency="USD",
    )
    Opportunity.objects.filter(pk=deal.pk).update(updated_at=READ_AT)
    deal.refresh_from_db()
    return deal
