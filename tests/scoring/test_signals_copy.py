"""Support signals read on PostgreSQL with one binary COPY."""

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from accounts.models import SupportSignal
from scoring.loading import scoring_frames_load
from tests.scoring.test_runs import portfolio_create

pytestmark = pytest.mark.django_db


def test_support_signals_load_with_their_blanks(postgres: None) -> None:
    # given two signals, one with every value blank
    accounts = portfolio_create(size=2)
    SupportSignal.objects.create(
        account=accounts[0],
        period_start=date(2017, 10, 1),
        tickets=4,
        satisfaction=Decimal("87.5"),
        nps=-20,
    )
    SupportSignal.objects.create(account=accounts[1], period_start=date(2017, 7, 1))

    # when
    signals = scoring_frames_load().signals.sort_values("account_id")

    # then
    assert signals["account_id"].tolist() == [accounts[0].pk, accounts[1].pk]
    assert signals["period_start"].tolist() == [
        pd.Timestamp("2017-10-01"),
        pd.Timestamp("2017-07-01"),
    ]
    assert str(signals["period_start"].dtype) == "datetime64[us]"
    assert signals["tickets"].tolist()[0] == 4.0
    assert signals["satisfaction"].tolist()[0] == 87.5
    assert signals["nps"].tolist()[0] == -20.0
    for column in ("tickets", "satisfaction", "nps"):
        assert np.isnan(signals[column].tolist()[1])
        assert signals[column].dtype == "float64"
