"""What an import would change for other apps, found on its dry run.

accounts depends on no other app of ours, so an app that needs to warn
before an import is written registers a check here, as it registers an
account page section. A check is called inside the dry run's transaction
before anything is written, and returns a function that is called after
the writes, still inside that transaction (which is then rolled back): it
compares and returns its warnings: words, and whether the import may go
ahead only when the user confirms it has read them.

An upload too large to check while the user waits gets no dry run; a
forecast stands in for it. A forecast is given how many accounts the upload
gives revenue to in each quarter (by quarter start) and returns its
warnings in words, read with what is stored.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from accounts.currency import day_text


@dataclass(frozen=True)
class WindowMove:
    """Where the scoring window ends now and where the import would end it.

    `idle_accounts` counts the accounts with revenue that would have none
    in the moved window.
    """

    before: date
    after: date
    idle_accounts: int

    @property
    def keep_said(self) -> str:
        return (
            f"Keep scoring the twelve months to {day_text(self.before)} "
            "(the window stays)"
        )

    @property
    def move_said(self) -> str:
        accounts = "account" if self.idle_accounts == 1 else "accounts"
        return (
            f"Move the window to {day_text(self.after)} "
            f"({self.idle_accounts:,} {accounts} would have no revenue in it)"
        )


@dataclass(frozen=True)
class ImportCheckWarning:
    text: str
    # The import starts only once the user confirms it (a tick, --yes, a
    # field): what it warns of would change records the upload never names.
    confirm: bool = False
    # Set when the warning is that the import would move the scoring
    # window: the user then chooses to keep it (the default) or move it.
    window: WindowMove | None = None


ImportCheck = Callable[[], Callable[[], list[ImportCheckWarning]]]
ImportForecast = Callable[[Mapping[date, int]], list[ImportCheckWarning]]

_checks: dict[str, ImportCheck] = {}
_forecasts: dict[str, ImportForecast] = {}


def import_check_register(*, key: str, check: ImportCheck) -> None:
    """Add a check to every import's dry run; a key registers once."""
    _checks[key] = check


def import_checks_start() -> list[Callable[[], list[ImportCheckWarning]]]:
    """Run each check's before-step; return their after-steps, in key order."""
    return [check() for _, check in sorted(_checks.items())]


def import_forecast_register(*, key: str, forecast: ImportForecast) -> None:
    """Add a forecast for uploads checked without a dry run."""
    _forecasts[key] = forecast


def import_forecasts(*, reach: Mapping[date, int]) -> list[ImportCheckWarning]:
    """Return every forecast's warnings for an upload with revenue in `reach`."""
    return [
        text for _, forecast in sorted(_forecasts.items()) for text in forecast(reach)
    ]
