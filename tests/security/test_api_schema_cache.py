"""The API schema is built once per web process, as it starts."""

import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config import schema_view

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(ops) -> APIClient:
    client = APIClient()
    client.force_authenticate(ops)
    return client


def test_starting_the_web_process_builds_and_renders_the_schema() -> None:
    # given a process that has not built it
    schema_view.api_schema_forget()

    # when the WSGI application is loaded, as gunicorn does at start
    import config.wsgi

    importlib.reload(config.wsgi)

    # then the schema and each format the view serves are ready
    assert schema_view._schema is not None
    assert sorted(schema_view._rendered) == [
        "OpenApiJsonRenderer2:application/json",
        "OpenApiJsonRenderer:application/vnd.oai.openapi+json",
        "OpenApiYamlRenderer2:application/yaml",
        "OpenApiYamlRenderer:application/vnd.oai.openapi",
    ]


def test_the_served_schema_is_the_one_built_and_equals_a_fresh_build(api) -> None:
    # given
    built = schema_view.api_schema()

    # when read as YAML and as JSON
    as_yaml = api.get("/api/schema/")
    as_json = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    # then nothing was built again, and both say what a fresh build says
    assert schema_view.api_schema() is built
    fresh = json.loads(
        json.dumps(SchemaGenerator().get_schema(request=None, public=True))
    )
    assert (as_yaml.status_code, as_yaml["Content-Type"]) == (
        200,
        "application/vnd.oai.openapi; charset=utf-8",
    )
    assert as_yaml["Content-Disposition"] == 'inline; filename="Lode API.yaml"'
    assert yaml.safe_load(as_yaml.content) == fresh
    assert (as_json.status_code, as_json["Content-Type"]) == (
        200,
        "application/vnd.oai.openapi+json",
    )
    assert json.loads(as_json.content) == fresh


def test_the_schema_still_needs_a_signed_in_user() -> None:
    response = APIClient().get("/api/schema/")

    assert response.status_code == 401


def test_loading_the_app_leaves_no_connection_for_forked_workers_to_share() -> None:
    # given: gunicorn --preload loads the app once, then forks its workers
    load = textwrap.dedent(
        """
        import os
        import config.wsgi
        from config import schema_view

        sockets = 0
        for name in os.listdir("/proc/self/fd"):
            try:
                sockets += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
            except FileNotFoundError:
                pass  # the listing's own descriptor, closed since
        print(schema_view._schema is not None, sockets)
        """
    )

    # when the app is loaded in a process of its own, as the master does
    done = subprocess.run(
        [sys.executable, "-c", load],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then the schema is built, and no database or Redis connection is left
    # open in it: each worker opens its own on first use
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "0"]
