"""The scoring model page: everyone reads the model, sales ops changes it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import RevenueLine
from scoring.api_services import EDITABLE_FIELDS, scoring_model_update
from scoring.models import ScoreRun, ScoringModel
from scoring.services import scoring_model_active
from tests.accounts.factories import ProductFactory
from tests.scoring.test_portfolio_page import current_run, score

pytestmark = pytest.mark.django_db

URL = reverse("scoring:model")


def form_data(model: ScoringModel, **changes: object) -> dict[str, str]:
    """Return the form as the page fills it for this model, with changes."""
    data = {
        name: "" if getattr(model, name) is None else str(getattr(model, name))
        for name in EDITABLE_FIELDS
    }
    data["version"] = model.updated_at.isoformat()
    return data | {name: str(value) for name, value in changes.items()}


def test_a_rep_reads_the_weights_shares_and_settings_without_a_form(client, rep):
    # given
    model = scoring_model_active()
    client.force_login(rep)

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Trailing-12-month won revenue." in page  # the help text
    # 50 of 120 on the performance axis, 50 of 100 on the potential one.
    assert response.context["axes"][0]["rows"][0]["share"] == pytest.approx(
        Decimal("41.666"), abs=Decimal("0.01")
    )
    assert 'data-testid="share-weight_ttm_revenue">41.7 %' in page
    assert 'data-testid="share-weight_wallet_headroom">50.0 %' in page
    assert 'data-testid="value-reporting_currency">USD' in page
    assert 'data-testid="value-min_peer_group">5' in page
    assert 'data-testid="value-tier_a_share">70.00' in page
    assert response.context["form"] is None
    assert "<input" not in page.split('<main class="content">')[1]
    assert "Only sales ops can change the scoring model" in page
    assert model.name in page


def test_sales_ops_gets_the_form_filled_with_the_stored_values(client, ops):
    scoring_model_active()
    client.force_login(ops)

    response = client.get(URL)

    page = response.content.decode()
    assert 'name="weight_growth"' in page
    assert 'value="25.00"' in page
    assert 'name="version" value="' in page
    assert "Save and recompute scores" in page


def test_it_asks_a_visitor_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_a_post_from_anyone_but_sales_ops_is_not_found(client, request, who):
    # given
    model = scoring_model_active()
    client.force_login(request.getfixturevalue(who))

    # when
    response = client.post(URL, form_data(model, weight_growth=40))

    # then
    assert response.status_code == 404
    model.refresh_from_db()
    assert model.weight_growth == Decimal(25)
    assert not ScoreRun.objects.exists()


def test_sales_ops_changes_a_weight_and_a_run_is_requested(client, ops, caplog):
    # given
    model = scoring_model_active()
    client.force_login(ops)
    caplog.set_level("INFO", logger="scoring.api_services")

    # when
    response = client.post(
        URL, form_data(model, weight_growth="40.5", reporting_currency="eur")
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == URL
    model.refresh_from_db()
    assert model.weight_growth == Decimal("40.5")
    assert model.reporting_currency == "EUR"
    run = ScoreRun.objects.get()
    assert run.trigger == "model_change"
    assert run.requested_by == ops
    assert run.scoring_model == model
    assert (
        f"Scoring model {model.pk} changed by user {ops.pk}: "
        "['reporting_currency', 'weight_growth']"
    ) in caplog.text

    page = client.get(URL).content.decode()
    assert f"Score run {run.pk} was requested" in page
    assert f'<a href="{reverse("scoring:portfolio")}">portfolio</a>' in page
    assert 'value="40.50"' in page


def test_the_requested_run_scores_the_portfolio_with_the_new_weights(
    client, ops, account, django_capture_on_commit_callbacks
):
    # given
    RevenueLine.objects.create(
        account=account,
        product=ProductFactory.create(),
        quarter_start=date(2026, 7, 1),
        amount=Decimal(1000),
    )
    model = scoring_model_active()
    client.force_login(ops)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data(model, weight_breadth=0))

    # then
    run = ScoreRun.objects.get()
    assert run.status == ScoreRun.Status.SUCCEEDED
    assert run.is_current
    assert run.scores.get().account == account
    assert run.breakdown_layout["axis_weights"]["performance"]["breadth"] == 0


def test_saving_nothing_changed_requests_no_run(client, ops):
    model = scoring_model_active()
    client.force_login(ops)

    response = client.post(URL, form_data(model), follow=True)

    assert "Nothing changed" in response.content.decode()
    assert not ScoreRun.objects.exists()


def test_a_stale_version_is_refused_and_keeps_what_was_typed(client, ops, manager):
    # given
    model = scoring_model_active()
    read = form_data(model, weight_growth="33.33")
    scoring_model_update(
        model=ScoringModel.objects.get(pk=model.pk),
        user=ops,
        data={"weight_growth": Decimal(10), "tier_a_share": Decimal(60)},
        expected_version=model.updated_at,
    )
    client.force_login(ops)

    # when
    response = client.post(URL, read)

    # then
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone changed the scoring model after you opened it" in page
    assert 'value="33.33"' in page  # what was typed
    assert 'data-testid="stored-weight_growth">Now stored: 10.00' in page
    assert 'data-testid="stored-tier_a_share">Now stored: 60.00' in page
    # A field typed as it is stored needs no note beside it.
    assert 'data-testid="stored-weight_breadth"' not in page
    model.refresh_from_db()
    assert model.weight_growth == Decimal(10)
    assert not ScoreRun.objects.exists()
    # The form now carries the stored version: saving again replaces it.
    assert response.context["form"]["version"].value() == model.updated_at.isoformat()


def test_saving_again_after_a_stale_refusal_applies_the_typed_values(client, ops):
    model = scoring_model_active()
    read = form_data(model, weight_growth="33.33")
    scoring_model_update(
        model=ScoringModel.objects.get(pk=model.pk),
        user=ops,
        data={"weight_growth": Decimal(10)},
        expected_version=model.updated_at,
    )
    client.force_login(ops)
    refused = client.post(URL, read)

    response = client.post(
        URL, read | {"version": refused.context["form"]["version"].value()}
    )

    assert response.status_code == 302
    model.refresh_from_db()
    assert model.weight_growth == Decimal("33.33")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {
                "weight_ttm_revenue": 0,
                "weight_growth": 0,
                "weight_breadth": 0,
                "weight_relationship_health": 0,
            },
            "weight_ttm_revenue",
            "The performance weights add up to zero",
        ),
        (
            {
                "weight_wallet_headroom": 0,
                "weight_product_whitespace": 0,
                "weight_subsidiary_whitespace": 0,
                "weight_capacity": 0,
            },
            "weight_wallet_headroom",
            "The potential weights add up to zero",
        ),
        (
            {"tier_a_share": 95},
            "tier_a_share",
            "Tier A&#x27;s share cannot exceed tier B&#x27;s.",
        ),
        (
            {"weight_growth": -5},
            "weight_growth",
            "Give a number from 0 to 100; it cannot be negative.",
        ),
        (
            {"performance_threshold": 101},
            "performance_threshold",
            "Give a number from 0 to 100.",
        ),
        ({"weight_capacity": "lots"}, "weight_capacity", "Give a number from 0"),
        ({"min_peer_group": 0}, "min_peer_group", "Give a whole number from 1"),
        (
            {"reporting_currency": "EU"},
            "reporting_currency",
            "Give a three-letter currency code, e.g. EUR.",
        ),
        (
            {"reporting_currency": "EURO"},
            "reporting_currency",
            "Give a three-letter currency code, e.g. EUR.",
        ),
        (
            {"reporting_currency": "E1R"},
            "reporting_currency",
            "Give a three-letter currency code, e.g. EUR.",
        ),
    ],
)
def test_it_shows_each_problem_next_to_its_field_and_keeps_the_input(
    client, ops, changes, field, message
):
    # given
    model = scoring_model_active()
    client.force_login(ops)

    # when
    response = client.post(URL, form_data(model, **changes))

    # then
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-testid="error-{field}">{message}' in page
    assert page.count(message) == 1
    typed = str(changes[field])
    assert f'value="{typed}"' in page
    assert ScoringModel.objects.get(pk=model.pk).updated_at == model.updated_at
    assert not ScoreRun.objects.exists()


@pytest.mark.parametrize("version", ["", "yesterday"])
def test_a_form_without_a_readable_version_is_refused_with_a_message(
    client, ops, version
):
    model = scoring_model_active()
    client.force_login(ops)

    response = client.post(URL, form_data(model, weight_growth=40, version=version))

    assert response.status_code == 400
    assert "reload the page and enter your changes again" in response.content.decode()
    assert 'value="40"' in response.content.decode()
    model.refresh_from_db()
    assert model.weight_growth == Decimal(25)


@pytest.mark.parametrize("who", ["rep", "ops"])
def test_the_page_reads_a_fixed_number_of_queries(
    client, request, who, django_assert_num_queries
):
    scoring_model_active()
    client.force_login(request.getfixturevalue(who))

    # The session, the user, the active model and the current run's window.
    with django_assert_num_queries(4):
        response = client.get(URL)

    assert response.status_code == 200


def test_the_portfolio_and_the_score_explanation_link_to_the_model(
    client, rep, account
):
    score(current_run(), account)
    client.force_login(rep)

    portfolio = client.get(reverse("scoring:portfolio")).content.decode()
    detail = client.get(reverse("accounts:detail", args=[account.pk]))

    assert f'href="{URL}"' in portfolio
    assert f'href="{URL}"' in detail.content.decode()
