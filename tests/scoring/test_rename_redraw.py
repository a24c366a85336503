"""A hand rename redraws the account's name in the current run's chart.

A rename changes no score, so it starts no run; the worker writes the new
name into the stored chart's labels, and the chart's ETag moves with it.
"""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse

from accounts.models import Account, RevenueLine
from scoring.charts import quadrant_figure_build, quadrant_figure_names_set
from scoring.models import ScoreRun
from scoring.services import score_run_figure_names_refresh, score_run_request
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory, ProductFactory


def figure_of(names: dict[int, str], *, count: int | None = None) -> dict:
    ids = list(names)
    scores = pd.DataFrame(
        {
            "performance": [10.0 + index for index in range(len(ids))],
            "potential": [20.0 + index for index in range(len(ids))],
            "ttm_revenue": [1000.0 * (index + 1) for index in range(len(ids))],
            "tier": ["C"] * len(ids),
            "quadrant": ["monitor"] * len(ids),
        },
        index=ids,
    )
    return quadrant_figure_build(
        scores=scores,
        names=pd.Series(names),
        performance_threshold=50.0,
        potential_threshold=50.0,
    )


def labels(figure: dict) -> list[str]:
    return sorted(
        label
        for trace in figure["data"]
        if "customdata" in trace
        for label in trace.get("text", [])
    )


def test_a_new_name_replaces_only_the_name_part_of_a_label() -> None:
    figure = figure_of({1: "Acme", 2: "Globex"})

    moved = quadrant_figure_names_set(
        figure=figure, names={1: "<img src=x onerror=alert(1)>", 2: "Globex"}
    )

    assert moved == 1
    assert labels(figure) == [
        "<b>&lt;img src=x onerror=alert(1)&gt;</b><br>Performance 10 · "
        "Potential 20<br>TTM revenue $1,000 · Tier C",
        "<b>Globex</b><br>Performance 11 · Potential 21<br>TTM revenue $2,000 · Tier C",
    ]


def test_the_webgl_shape_is_renamed_through_its_typed_ids(monkeypatch) -> None:
    monkeypatch.setattr("scoring.charts.SVG_POINTS_MAX", 1)
    figure = figure_of({7: "Acme", 8: "Globex"})
    assert figure["data"][0]["type"] == "scattergl"

    moved = quadrant_figure_names_set(figure=figure, names={8: "Globex & Co"})

    assert moved == 1
    assert labels(figure)[1].startswith("<b>Globex &amp; Co</b><br>")


@pytest.fixture
def scored(django_capture_on_commit_callbacks, account: Account) -> ScoreRun:
    product = ProductFactory.create(name="GTX Pro")
    for index, scored_account in enumerate(
        [account, AccountFactory.create(name="Globex")]
    ):
        RevenueLine.objects.create(
            account=scored_account,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    with django_capture_on_commit_callbacks(execute=True):
        score_run_request(trigger="manual")
    return ScoreRun.objects.get(is_current=True)


@pytest.mark.django_db
def test_a_rename_through_the_api_redraws_the_chart_and_moves_its_etag(
    client, ops, account, scored, django_capture_on_commit_callbacks
) -> None:
    # given: the chart as someone who sees all read it
    client.force_login(ops)
    before = client.get(reverse("scoring:portfolio_figure"))
    api = api_for(ops)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = api.get(url)["ETag"]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            url, {"name": "Acme & <Sons>"}, format="json", HTTP_IF_MATCH=etag
        )

    # then
    assert response.status_code == 200
    run = ScoreRun.objects.get(is_current=True)
    assert run.pk == scored.pk
    assert run.figure is not None and scored.figure is not None
    shown = labels(run.figure)
    assert [label.split("</b>")[0] for label in shown] == [
        "<b>Acme &amp; &lt;Sons&gt;",
        "<b>Globex",
    ]
    # The scores in each label are the run's, untouched.
    assert [label.split("</b>")[1] for label in shown] == [
        label.split("</b>")[1] for label in labels(scored.figure)
    ]
    again = client.get(
        reverse("scoring:portfolio_figure"), HTTP_IF_NONE_MATCH=before["ETag"]
    )
    assert again.status_code == 200
    assert again.json()["figure"] == run.figure


@pytest.mark.django_db
def test_a_refresh_with_nothing_renamed_leaves_the_run_as_it_was(scored) -> None:
    moved = score_run_figure_names_refresh(run_id=scored.pk)

    run = ScoreRun.objects.get(pk=scored.pk)
    assert moved == 0
    assert run.updated_at == scored.updated_at
    assert run.figure == scored.figure
