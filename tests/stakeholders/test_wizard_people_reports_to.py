"""A Salesforce report's manager column is recognised in its lookup form."""

import pytest

from accounts.models import ImportJob
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def test_reports_to_full_name_is_the_manager_with_no_manual_mapping(
    tmp_path,
) -> None:
    # given
    AccountFactory.create(name="Vireo Health", external_id="")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Contact ID,First Name,Last Name,Account Name,Reports To: Full Name\n"
        "C1,Ines,Gruber,Vireo Health,\n"
        "C2,Tom,Yates,Vireo Health,Ines Gruber\n",
        encoding="utf-8",
    )

    # when
    job = imported(path)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert job.issues == []
    assert list(
        Stakeholder.objects.order_by("external_id").values_list(
            "external_id", "reports_to__external_id"
        )
    ) == [("C1", None), ("C2", "C1")]
