"""The worker's heartbeat file, and the health check that reads it.

A worker refreshes the file only while it takes work from Redis
(config.worker says when that is), so a worker that still answers
`celery inspect ping` but no longer consumes lets it go stale. The check
runs without Django or Celery, so it stays cheap inside a container:

    python -m config.heartbeat            # exit 0 fresh, 1 stale or missing

Both sides read the same two environment variables. A worker that has not
consumed for WORKER_STALL_EXIT_SECONDS exits (config.worker.StallExit), so
the container's restart policy starts a fresh one.
"""

import os
import sys
import time
from pathlib import Path

DEFAULT_FILE = "/tmp/lode-worker-heartbeat"
DEFAULT_SECONDS = 10
# Long enough for Redis to restart and load its data; a worker restarted
# while Redis is still away only waits for it again.
DEFAULT_STALL_EXIT_SECONDS = 300
# A heartbeat this many intervals old means the worker stopped consuming:
# one missed refresh can be a busy event loop, six cannot.
STALE_AFTER_INTERVALS = 6


def heartbeat_path() -> Path:
    return Path(os.environ.get("WORKER_HEARTBEAT_FILE") or DEFAULT_FILE)


def _seconds_from_env(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        seconds = int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, not {raw!r}") from error
    if seconds < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {raw!r}")
    return seconds


def heartbeat_seconds() -> int:
    return _seconds_from_env("WORKER_HEARTBEAT_SECONDS", DEFAULT_SECONDS, 1)


def stall_exit_seconds() -> int:
    """Return how long a worker may go without consuming; 0 never exits."""
    return _seconds_from_env("WORKER_STALL_EXIT_SECONDS", DEFAULT_STALL_EXIT_SECONDS, 0)


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
