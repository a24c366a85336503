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
"""

import logging
import time
from typing import Any

from celery import bootsteps
from celery.worker import state

from config import heartbeat

logger = logging.getLogger(__name__)

# BRPOP is sent with a 1-second server-side timeout, so a live Redis answers
# every one within a second; allow for a busy event loop on top.
BRPOP_ANSWER_GRACE_SECONDS = 5.0


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
