"""The Redis broker transport, with the one fix a worker needs to outlive a Redis outage.

kombu's Redis channel, when closed while it waits on a BRPOP, first reads
that reply so that no message popped at that moment is lost. If Redis has
just gone away, that read raises, and `close()` stops there: the channel is
left open, holding the messages the worker has received but not acknowledged
(tasks waiting for their countdown, such as an email's next retry). Celery
then detaches the transport from its connection (`Connection.collect`) and
closes the connection again; the second close finally gets to "Restoring N
unacknowledged messages", which needs the detached transport's address, and
fails with `AttributeError: 'NoneType' object has no attribute 'hostname'`.
That error is not a connection error, so the worker takes it as unrecoverable
and exits: it never reconnects (issue 18, point 1).

This channel treats a connection error in that read like the end of the
poll it is: the close goes on, the channel is marked closed at once, and the
second close has nothing left to do. The messages the worker held are not
lost: the Redis transport keeps every delivered, unacknowledged message in
its `unacked` hash, and puts it back on the queue when its visibility timeout
passes (CELERY_BROKER_TRANSPORT_OPTIONS); tasks are safe to run twice.

Checked against the kombu and celery versions in CHECKED_VERSIONS; the fault
test (tests/core/test_broker_outage.py) runs a real worker through a Redis
outage and fails if a later version changes what this relies on.
"""

import logging
from queue import Empty

from kombu.transport import redis

logger = logging.getLogger(__name__)

# The versions this fix was written for and tested with (pyproject.toml keeps them in range).
CHECKED_VERSIONS = {"kombu": (5, 7), "celery": (5, 7)}


class Channel(redis.Channel):
    def close(self) -> None:
        if self._in_poll:
            try:
                # What the parent does first: a message Redis popped for us must not be lost.
                self._brpop_read()  # type: ignore[no-untyped-call]  # kombu has no types
            except Empty:
                pass
            except self.connection_errors as error:
                # The broker went away mid-poll: nothing more will come; close the rest anyway.
                logger.info("Broker gone while closing a channel (%s); closing it anyway", error)
        super().close()  # type: ignore[no-untyped-call]


class Transport(redis.Transport):
    Channel = Channel
