"""In-process publish/subscribe of committed events.

The region engines publish every batch of :class:`~starlane.domain.events.RecordedEvent` right
after it is committed; WebSocket feeds, projections, audit and alerts subscribe. Each subscriber
has its own bounded buffer. Publishing never blocks and never waits for a subscriber: when a
subscriber's buffer is full, that subscription is closed with the reason ``"slow_consumer"``
(its buffered events are dropped) and the subscriber is told through :class:`SubscriptionClosed`
or the end of its iteration. A dropped subscriber catches up from the event store by position.

Usage::

    sub = bus.subscribe("ws:42", maxsize=500, predicate=lambda r: r.region_id == 2)
    async for recorded in sub:
        ...
    if sub.close_reason == SLOW_CONSUMER:
        ...  # resubscribe and catch up from the store

The bus belongs to one event loop and is not thread-safe (engines and subscribers all run in
the server's loop).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from starlane.domain.events import RecordedEvent

SLOW_CONSUMER = "slow_consumer"
"""Close reason of a subscription whose buffer overflowed."""
UNSUBSCRIBED = "unsubscribed"
"""Close reason of a subscription closed by its owner."""
BUS_CLOSED = "bus_closed"
"""Close reason of the subscriptions still open when the bus is closed."""

Predicate = Callable[[RecordedEvent], bool]


class Listener(Protocol):
    """A synchronous receiver of every published batch (e.g. the WebSocket feed's router,
    which keeps its own indexes and per-connection buffers)."""

    def deliver(self, events: Sequence[RecordedEvent]) -> None:
        """Take a published batch; must be cheap, must not wait."""

    def bus_closed(self) -> None:
        """The bus was closed."""


_log = structlog.get_logger("starlane.bus")


class SubscriptionClosed(Exception):
    """Raised by :meth:`Subscription.get` once the subscription is closed and drained.

    Attributes:
        reason: why it was closed (``"slow_consumer"``, ``"unsubscribed"``, ``"bus_closed"``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"subscription closed: {reason}")
        self.reason = reason


class Subscription:
    """One subscriber's bounded buffer of events; an async iterator of :class:`RecordedEvent`.

    Attributes:
        name: the subscriber's name (for logs and metrics).
        maxsize: the most events buffered before the subscription is closed as slow.
        delivered: events handed to the subscriber so far.
    """

    def __init__(self, bus: Bus, name: str, maxsize: int, predicate: Predicate | None) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._bus = bus
        self.name = name
        self.maxsize = maxsize
        self._predicate = predicate
        self._items: deque[RecordedEvent] = deque()
        self._ready = asyncio.Event()
        self._close_reason: str | None = None
        self.delivered = 0

    @property
    def closed(self) -> bool:
        """Whether the subscription is closed (no more events will be buffered)."""
        return self._close_reason is not None

    @property
    def close_reason(self) -> str | None:
        """Why the subscription was closed, or None while it is open."""
        return self._close_reason

    @property
    def pending(self) -> int:
        """Events buffered and not yet taken."""
        return len(self._items)

    def close(self, reason: str = UNSUBSCRIBED) -> None:
        """Close the subscription; buffered events are still delivered unless it was slow.

        Args:
            reason: the close reason reported to the subscriber.
        """
        if self._close_reason is not None:
            return
        self._close_reason = reason
        if reason == SLOW_CONSUMER:
            self._items.clear()
        self._ready.set()
        self._bus._forget(self)

    def _offer(self, recorded: RecordedEvent) -> None:
        if self._predicate is not None and not self._predicate(recorded):
            return
        if len(self._items) >= self.maxsize:
            _log.warning("bus.slow_consumer", subscriber=self.name, buffered=len(self._items))
            self._bus.dropped += 1
            self.close(SLOW_CONSUMER)
            return
        self._items.append(recorded)
        self._ready.set()

    def get_nowait(self) -> RecordedEvent | None:
        """The next buffered event, or None if none is buffered.

        Raises:
            SubscriptionClosed: the subscription is closed and nothing is left to deliver.
        """
        if self._items:
            self.delivered += 1
            return self._items.popleft()
        if self._close_reason is not None:
            raise SubscriptionClosed(self._close_reason)
        return None

    async def get(self, timeout: float | None = None) -> RecordedEvent:
        """Wait for the next event.

        Args:
            timeout: seconds to wait at most; None waits as long as needed.

        Returns:
            The next event.

        Raises:
            SubscriptionClosed: the subscription is closed and nothing is left to deliver.
            TimeoutError: no event arrived within ``timeout`` seconds.
        """
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            self._ready.clear()
            if timeout is None:
                await self._ready.wait()
            else:
                await asyncio.wait_for(self._ready.wait(), timeout)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> RecordedEvent:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None


class Bus:
    """The in-process event bus.

    Attributes:
        published: events published so far.
        dropped: subscriptions closed because their subscriber was too slow.
    """

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._listeners: list[Listener] = []
        self.published = 0
        self.dropped = 0

    @property
    def subscriber_count(self) -> int:
        """Open subscriptions."""
        return len(self._subscriptions)

    def subscribe(
        self, name: str, *, maxsize: int = 1000, predicate: Predicate | None = None
    ) -> Subscription:
        """Open a subscription to every event published from now on.

        Args:
            name: the subscriber's name, for logs.
            maxsize: events buffered at most; one more closes the subscription as slow.
            predicate: keep only the events for which it returns True (None keeps all). It runs
                inside :meth:`publish`, so it must be cheap and must not raise.

        Returns:
            The open subscription.

        Raises:
            ValueError: ``maxsize`` is below 1.
        """
        sub = Subscription(self, name, maxsize, predicate)
        self._subscriptions.append(sub)
        return sub

    def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Hand committed events to every open subscription, without ever waiting.

        Args:
            events: committed events, in the order of their region stream.
        """
        if not events:
            return
        self.published += len(events)
        for sub in list(self._subscriptions):
            for recorded in events:
                if sub.closed:
                    break
                sub._offer(recorded)
        for listener in list(self._listeners):
            try:
                listener.deliver(events)
            except Exception:  # a listener's bug must not reach the engine that published
                _log.exception("bus.listener_failed", listener=type(listener).__name__)

    def add_listener(self, listener: Listener) -> None:
        """Hand every batch published from now on to ``listener.deliver``.

        Args:
            listener: the listener; it is told ``bus_closed()`` when the bus closes.
        """
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop handing batches to a listener.

        Args:
            listener: a listener added before.
        """
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def close(self) -> None:
        """Close every open subscription with the reason ``"bus_closed"``."""
        for sub in list(self._subscriptions):
            sub.close(BUS_CLOSED)
        for listener in list(self._listeners):
            listener.bus_closed()

    def _forget(self, sub: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(sub)
