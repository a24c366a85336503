import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

from config.static import LodeStaticFilesStorage

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a fresh process with the given environment on top."""
    # The test run sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a real
    # deployment never does, and the deploy check rightly refuses it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "lode.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://lode.example.com",
    }


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **production_env()
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_fails_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="",
        HTTPS="",
        SECRET_KEY="",
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr or "security.W009" in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = run_manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_static_storage_without_manifest_serves_plain_names(tmp_path: Path) -> None:
    storage = LodeStaticFilesStorage(location=tmp_path, base_url="/static/")

    assert storage.url("css/base.css") == "/static/css/base.css"


def test_static_storage_with_manifest_serves_hashed_names(tmp_path: Path) -> None:
    manifest = {"version": "1.1", "paths": {"css/base.css": "css/base.1a2b.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))

    storage = LodeStaticFilesStorage(location=tmp_path, base_url="/static/")

    assert storage.url("css/base.css") == "/static/css/base.1a2b.css"


def _demo_recipe() -> list[str]:
    lines = (PROJECT_DIR / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("demo:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_the_demo_serves_with_debug_off() -> None:
    server = [line for line in _demo_recipe() if "runserver" in line]

    assert server == ["DEBUG=false $(BIN)/python manage.py runserver $(HOST):$(PORT)"]


def test_the_demo_stops_at_once_when_its_port_is_taken(tmp_path: Path) -> None:
    # given: something already listens on the port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # when: the venv path is fresh, so any step past the check would show
        result = subprocess.run(
            [
                "make",
                "--no-print-directory",
                "demo",
                f"PORT={port}",
                f"VENV={tmp_path / 'venv'}",
            ],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )

    # then
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"make demo: cannot serve on 127.0.0.1:{port} (Address already in use). "
        f"Stop what uses port {port}, or pick another port: "
        f"make demo PORT={port + 1}"
    )
    assert not (tmp_path / "venv").exists()


def test_the_demo_refuses_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "demo",
            "PORT=80a",
            f"VENV={tmp_path / 'venv'}",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "make demo: PORT must be a number from 1 to 65534, not '80a'."
    )
    assert not (tmp_path / "venv").exists()


def test_with_debug_off_static_files_are_served_and_errors_show_no_trace(
    settings, client
) -> None:
    # The demo has no collectstatic: WhiteNoise serves the source folders.
    assert settings.DEBUG is False

    css = client.get("/static/css/base.css")
    missing = client.get("/no/such/page/")

    assert css.status_code == 200
    assert css["Content-Type"].startswith("text/css")
    assert missing.status_code == 404
    assert "Traceback" not in missing.text
    assert "Using the URLconf" not in missing.text
