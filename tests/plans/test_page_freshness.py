import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, User
from plans.models import Plan
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def test_pages_with_inline_editing_are_never_stored(
    client: Client, rep: User, ops: User, account: Account, plan: Plan
) -> None:
    # given
    client.force_login(rep)
    review = reverse("plans:review_current", args=[account.pk])
    review = client.get(review)["Location"]

    # when
    pages = {
        "plan": client.get(reverse("plans:detail", args=[plan.pk])),
        "scorecard": client.get(reverse("plans:scorecard", args=[account.pk])),
        "review": client.get(review),
        "map": client.get(reverse("stakeholders:account", args=[account.pk])),
    }
    client.force_login(ops)
    template = gated_template()
    pages["template"] = client.get(reverse("plans:template_detail", args=[template.pk]))

    # then
    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(
        pages, 200
    )
    assert {name: page["Cache-Control"] for name, page in pages.items()} == (
        dict.fromkeys(pages, NO_STORE)
    )
