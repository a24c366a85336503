"""Logging filters for Lode's console log."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """Log a refused request (a 4xx answer) as one line, without the traceback.

    Django logs a 403 with the PermissionDenied that caused it, so each
    refusal would print a stack trace that tells an operator nothing: the
    user was refused on purpose. Errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
