"""Keep a worker consuming after Redis stalls, and say when it does not.

Why a worker could stop for good: with late acks, kombu's Redis transport
acknowledges a task by removing it from its `unacked` index in Redis first
and only then forgetting the delivery in the channel's QoS. When Redis
stalls past the worker's socket timeout and its one retry, that removal
raises; Celery's request logs "Couldn't ack" and carries on
(kombu.Message.ack_log_error swallows connection errors), so the connection
is never counted as lost and nothing reconnects. The delivery stays in the
QoS, which with a prefetch of one per process slot leaves no credit: the
channel never sends BRPOP again, while remote control (pub/sub) still
answers pings.

`BrokerWatch` runs on the worker's event loop. Every
WORKER_HEARTBEAT_SECONDS it acknowledges again every delivery no request
of this worker still holds (the task has ended; only its ack was lost),
until Redis takes it, and then refreshes the heartbeat file
(config.heartbeat) if the worker is taking work: connected, no stranded
delivery, and either every slot busy with a task or a BRPOP answered
within its timeout. Kombu offers no public view of its QoS or of the BRPOP
in flight, so this reads its attributes; tests/security/test_worker_stall.py
checks them on a real Redis channel, so an upgrade that renames them fails
there.

`StallExit` is the last resort, for whatever else keeps a worker from
consuming: a thread of the main process, outside the event loop (which a
stall can hold too), that shuts the worker down once it has gone
WORKER_STALL_EXIT_SECONDS without consuming, so the container's restart
policy starts a fresh one. The shutdown is warm: tasks running in the pool
end first. Should that itself hang on Redis, the process exits hard after a
grace period; an acknowledgement lost that way leaves the task in Redis's
`unacked` index, which hands it out again (the tasks are idempotent).
"""

import logging
import os
import threading
import time
from typing import Any

from celery import bootsteps
from celery.platforms import EX_UNAVAILABLE
from celery.worker import state

from config import heartbeat

logger = logging.getLogger(__name__)

# BRPOP is sent with a 1-second server-side timeout, so a live Redis answers
# every one within a second; allow for a busy event loop on top.
BRPOP_ANSWER_GRACE_SECONDS = 5.0
# What a worker that stopped consuming exits with: a service it needs (Redis)
# is unavailable to it.
STALL_EXIT_CODE = EX_UNAVAILABLE
# The most a warm shutdown after a stall may take before the process exits
# at once; shorter when WORKER_STALL_EXIT_SECONDS is.
STALL_EXIT_GRACE_SECONDS = 60


class ConsumedClock:
    """When this worker last took work from Redis, as BrokerWatch saw it."""

    def __init__(self) -> None:
        self.at = time.monotonic()

    def tick(self) -> None:
        self.at = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self.at


consumed = ConsumedClock()


def _task_channel(consumer: Any) -> Any:
    task_consumer = getattr(consumer, "task_consumer", None)
    return getattr(task_consumer, "channel", None)


def _requests_rate_limited(consumer: Any) -> list[Any]:
    """Return the requests waiting in rate-limit buckets, not yet reserved."""
    buckets = getattr(consumer, "task_buckets", None) or {}
    return [
        request
        for bucket in buckets.values()
        if bucket is not None
        for request, _tokens in list(getattr(bucket, "contents", ()))
    ]


def delivery_tags_stranded(channel: Any, waiting: list[Any] | None = None) -> list[str]:
    """Return the deliveries the channel holds that no request holds."""
    qos = channel.qos
    # The sets, not state.requests: that maps task ids, and a task sent
    # twice has two deliveries under one id.
    requests = [
        *state.reserved_requests,
        *state.active_requests,
        *state.scheduled_requests,
        *(waiting or []),
    ]
    held = {
        request.message.delivery_tag
        for request in requests
        if getattr(request, "message", None) is not None
    }
    return [
        tag for tag in list(qos._delivered) if tag not in qos._dirty and tag not in held
    ]


def worker_consuming(channel: Any, waiting: list[Any] | None = None) -> bool:
    """Whether the channel takes work from Redis or has every slot busy."""
    if delivery_tags_stranded(channel, waiting):
        return False
    if not channel.qos.can_consume():
        return True  # every slot holds a live task

    sent_at = channel._brpop_sent_at
    if not channel._in_poll or sent_at is None:
        # Between a BRPOP's answer and the next send: it was just answered.
        return True
    waited = time.monotonic() - sent_at
    return waited < channel.brpop_timeout + BRPOP_ANSWER_GRACE_SECONDS


class BrokerWatch(bootsteps.StartStopStep):
    """Re-send lost acks and keep the heartbeat while the worker consumes."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None
        # Lost acks of a connection that has since closed: Redis still lists
        # those tasks as unacknowledged, and would run them again once the
        # visibility timeout passes, until they are removed from its index.
        self.acks_owed: set[str] = set()
        self.path = heartbeat.heartbeat_path()
        self.interval = heartbeat.heartbeat_seconds()

    def start(self, parent: Any) -> None:
        self.timer_entry = parent.timer.call_repeatedly(
            self.interval, self.check, (parent,), priority=10
        )
        self.check(parent)

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        # The consumer stops its steps before it closes the channel, so the
        # deliveries are still there to read (no Redis command is sent).
        channel = _task_channel(parent)
        if channel is not None:
            self.acks_owed.update(
                delivery_tags_stranded(channel, _requests_rate_limited(parent))
            )

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)

    def check(self, consumer: Any) -> None:
        channel = _task_channel(consumer)
        if channel is None or consumer.connection is None:
            return

        waiting = _requests_rate_limited(consumer)
        try:
            self.acks_resend(channel, waiting)
        except channel.connection_errors:
            logger.warning("Redis still refuses the lost acks; trying again")
            return

        if not worker_consuming(channel, waiting):
            return
        consumed.tick()
        try:
            heartbeat.heartbeat_touch(self.path)
        except OSError:
            logger.exception("could not write the heartbeat file %s", self.path)

    def acks_resend(self, channel: Any, waiting: list[Any]) -> None:
        for tag in delivery_tags_stranded(channel, waiting):
            channel.basic_ack(tag)
            logger.warning("acknowledged delivery %s, whose ack Redis lost", tag)
        # Owed from a closed channel: only Redis's index still holds them
        # (kombu put them back in the queue on closing if Redis answered, and
        # then this removes nothing; a second delivery of an ended task is
        # harmless, the tasks being idempotent).
        for tag in sorted(self.acks_owed):
            channel.qos._remove_from_indices(tag).execute()
            self.acks_owed.discard(tag)
            logger.warning("acknowledged delivery %s, whose ack Redis lost", tag)


class StallExit(bootsteps.StartStopStep):
    """Shut down a worker that has not consumed for too long, to be restarted."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.limit = heartbeat.stall_exit_seconds()
        self.interval = heartbeat.heartbeat_seconds()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, parent: Any) -> None:
        if not self.limit:
            return
        # Counted from now: a worker that has not yet connected has not
        # stopped consuming either, until the limit passes.
        consumed.tick()
        self.thread = threading.Thread(
            target=self.watch, name="lode-stall-exit", daemon=True
        )
        self.thread.start()

    def stop(self, parent: Any) -> None:
        self.stopping.set()

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)

    def watch(self) -> None:
        while not self.stopping.wait(self.interval):
            idle = consumed.idle_seconds()
            if idle > self.limit:
                self.exit(idle)
                return

    def exit(self, idle: float) -> None:
        logger.error(
            "the worker has not consumed for %.0fs (WORKER_STALL_EXIT_SECONDS is "
            "%s); shutting down to be started again",
            idle,
            self.limit,
        )
        # The event loop, the consumer's restarts and its reconnection
        # attempts all check this flag, and shut the worker down warm.
        state.should_stop = STALL_EXIT_CODE

        grace = min(STALL_EXIT_GRACE_SECONDS, self.limit)
        time.sleep(grace)
        logger.error("the worker did not shut down in %ss; exiting now", grace)
        logging.shutdown()
        os._exit(STALL_EXIT_CODE)
