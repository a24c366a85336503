from django.urls import reverse

from accounts.models import Account
from stakeholders.selectors import COVERAGE_KINDS, CoverageRow
from stakeholders.templatetags.coverage_rows import coverage_rows


def test_it_writes_a_row_per_account_as_the_template_did() -> None:
    # given
    counts = (2, 0) + (0,) * (len(COVERAGE_KINDS) - 2)
    row = CoverageRow(
        account=Account(pk=41, name="Ink & <Co>"), people=3, counts=counts
    )

    # when
    html = coverage_rows([row])

    # then
    cells = '<td class="num hot">2</td>' + '<td class="num">·</td>' * (
        len(COVERAGE_KINDS) - 1
    )
    url = reverse("stakeholders:account", args=[41])
    assert html == (
        f'<tr><td><a href="{url}">Ink &amp; &lt;Co&gt;</a></td>'
        f'<td class="num">3</td>{cells}</tr>'
    )


def test_it_links_each_account_by_its_own_id() -> None:
    rows = [
        CoverageRow(account=Account(pk=pk, name=f"A{pk}"), people=0, counts=(0,))
        for pk in (7, 918_273_645, 12)
    ]

    html = coverage_rows(rows)

    for pk in (7, 918_273_645, 12):
        assert f'href="{reverse("stakeholders:account", args=[pk])}"' in html


def test_no_account_gives_the_empty_row() -> None:
    assert coverage_rows([]) == (
        '<tr><td colspan="9" class="muted">You see no accounts yet.</td></tr>'
    )
