"""What an import would change for other apps, found on its dry run.

accounts depends on no other app of ours, so an app that needs to warn
before an import is written registers a check here, as it registers an
account page section. A check is called inside the dry run's transaction
before anything is written, and returns a function that is called after
the writes, still inside that transaction (which is then rolled back): it
compares and returns its warnings in words.
"""

from collections.abc import Callable

ImportCheck = Callable[[], Callable[[], list[str]]]

_checks: dict[str, ImportCheck] = {}


def import_check_register(*, key: str, check: ImportCheck) -> None:
    """Add a check to every import's dry run; a key registers once."""
    _checks[key] = check


def import_checks_start() -> list[Callable[[], list[str]]]:
    """Run each check's before-step; return their after-steps, in key order."""
    return [check() for _, check in sorted(_checks.items())]
