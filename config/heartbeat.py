"""The worker's heartbeat file, and the health check that reads it.

A worker refreshes the file only while it takes work from Redis
(config.worker says when that is), so a worker that still answers
`celery inspect ping` but no longer consumes lets it go stale. The check
runs without Django or Celery, so it stays cheap inside a container:

    python -m config.heartbeat            # exit 0 fresh, 1 stale or missing

Both sides read the same two environment variables.
"""

import os
import sys
import time
from pathlib import Path

DEFAULT_FILE = "/tmp/lode-worker-heartbeat"
DEFAULT_SECONDS = 10
# A heartbeat this many intervals old means the worker stopped consuming:
# one missed refresh can be a busy event loop, six cannot.
STALE_AFTER_INTERVALS = 6


def heartbeat_path() -> Path:
    return Path(os.environ.get("WORKER_HEARTBEAT_FILE") or DEFAULT_FILE)


def heartbeat_seconds() -> int:
    raw = os.environ.get("WORKER_HEARTBEAT_SECONDS") or str(DEFAULT_SECONDS)
    try:
        seconds = int(raw)
    except ValueError as error:
        raise ValueError(
            f"WORKER_HEARTBEAT_SECONDS must be an integer, not {raw!r}"
        ) from error
    if seconds < 1:
        raise ValueError(f"WORKER_HEARTBEAT_SECONDS must be at least 1, not {raw!r}")
    return seconds


def heartbeat_touch(path: Path) -> None:
    """Write the current time into the file, replacing it in one step."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(f"{time.time():.3f}\n")
    partial.replace(path)


def heartbeat_age(path: Path) -> float | None:
    """Return how many seconds ago the heartbeat was written, or None."""
    try:
        written = float(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return time.time() - written


def main(argv: list[str]) -> int:
    path = heartbeat_path()
    max_age: float = heartbeat_seconds() * STALE_AFTER_INTERVALS
    if len(argv) > 1:
        max_age = float(argv[1])

    age = heartbeat_age(path)
    if age is None:
        print(f"unhealthy: no worker heartbeat in {path}")
        return 1
    if age > max_age:
        print(
            f"unhealthy: the worker last consumed {age:.0f}s ago (over {max_age:.0f}s)"
        )
        return 1
    print(f"healthy: the worker consumed {age:.0f}s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
