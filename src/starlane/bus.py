"""Publish/subscribe of committed changes: region events and relational changes, one API.

Two things are published, each right after it is committed:

- region events: the engines call :meth:`Bus.publish` with each committed batch of
  :class:`~starlane.domain.events.RecordedEvent` (the hot path: nothing is allocated per
  event);
- relational changes: the outbox publisher (:mod:`starlane.store.outbox`) calls
  :meth:`Bus.publish_envelopes` with the :class:`~starlane.domain.envelope.Envelope` of each
  ``outbox`` row a unit of work committed.

Both are bus messages with a ``kind``, ``subject``, ``payload`` and ``position``
(:mod:`starlane.domain.envelope`), and both reach subscribers the same way: a
:class:`Subscription` (an async iterator with its own bounded buffer) or a :class:`Listener`
(a synchronous receiver of each published batch), each chosen by ``kinds`` (None: every kind;
the default is region events only, the kind every subscriber written before relational
changes existed expects) and optionally by a predicate.

Publishing never blocks and never waits for a subscriber: when a subscriber's buffer is full,
that subscription is closed with the reason ``"slow_consumer"`` (its buffered messages are
dropped) and the subscriber is told through :class:`SubscriptionClosed` or the end of its
iteration. A dropped subscriber catches up from the store by position (the event store for
region events, the ``outbox`` table for relational changes).

Usage::

    sub = bus.subscribe("ws:42", maxsize=500, predicate=lambda r: r.region_id == 2)
    changes = bus.subscribe("audit", kinds=None, predicate=lambda m: m.kind != REGION_EVENT)
    async for message in changes:
        ...

:class:`BusPort` is the port the rest of the code depends on; :class:`Bus` is the in-process
adapter. It belongs to one event loop and is not thread-safe (engines and subscribers all run
in the server's loop). An adapter for several processes (NATS) implements the same port: it
sends each published batch on subjects derived from ``kind`` and ``subject`` and feeds the
messages it receives into the same in-process fan-out, so callers do not change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

import structlog

from starlane.domain.envelope import REGION_EVENT, BusMessage, Envelope
from starlane.domain.events import RecordedEvent

SLOW_CONSUMER = "slow_consumer"
"""Close reason of a subscription whose buffer overflowed."""
UNSUBSCRIBED = "unsubscribed"
"""Close reason of a subscription closed by its owner."""
BUS_CLOSED = "bus_closed"
"""Close reason of the subscriptions still open when the bus is closed."""

Predicate = Callable[[BusMessage], bool]
"""Keeps a message for a subscriber when it returns True; runs inside publish."""

REGION_EVENTS_ONLY: frozenset[str] = frozenset((REGION_EVENT,))
"""The default ``kinds`` of a subscription or listener."""


class Listener(Protocol):
    """A synchronous receiver of every published batch of the kinds it was added for (e.g. the
    WebSocket feed's router, which keeps its own indexes and per-connection buffers).

    A batch holds either region events only (:class:`RecordedEvent`, one engine commit) or
    relational changes only (:class:`Envelope`); ``batch[0].kind`` tells which.
    """

    def deliver(self, messages: Sequence[BusMessage]) -> None:
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
    """One subscriber's bounded buffer of messages; an async iterator of bus messages
    (:class:`RecordedEvent` and, when subscribed to other kinds, :class:`Envelope`).

    Attributes:
        name: the subscriber's name (for logs and metrics).
        maxsize: the most messages buffered before the subscription is closed as slow.
        kinds: the message kinds it receives, None for every kind.
        delivered: messages handed to the subscriber so far.
    """

    def __init__(
        self,
        bus: Bus,
        name: str,
        maxsize: int,
        predicate: Predicate | None,
        kinds: Collection[str] | None = REGION_EVENTS_ONLY,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._bus = bus
        self.name = name
        self.maxsize = maxsize
        self._predicate = predicate
        self.kinds = None if kinds is None else frozenset(kinds)
        self._region_events = self.kinds is None or REGION_EVENT in self.kinds
        self._items: deque[BusMessage] = deque()
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

    def _offer(self, recorded: BusMessage) -> None:
        if self._predicate is not None and not self._predicate(recorded):
            return
        if len(self._items) >= self.maxsize:
            _log.warning("bus.slow_consumer", subscriber=self.name, buffered=len(self._items))
            self._bus.dropped += 1
            self.close(SLOW_CONSUMER)
            return
        self._items.append(recorded)
        self._ready.set()

    def get_nowait(self) -> BusMessage | None:
        """The next buffered message, or None if none is buffered.

        Raises:
            SubscriptionClosed: the subscription is closed and nothing is left to deliver.
        """
        if self._items:
            self.delivered += 1
            return self._items.popleft()
        if self._close_reason is not None:
            raise SubscriptionClosed(self._close_reason)
        return None

    async def get(self, timeout: float | None = None) -> BusMessage:
        """Wait for the next message.

        Args:
            timeout: seconds to wait at most; None waits as long as needed.

        Returns:
            The next message.

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

    async def __anext__(self) -> BusMessage:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None


class BusPort(Protocol):
    """The bus as the engines, the outbox publisher and the subscribers see it."""

    def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Hand one committed batch of region events to the subscribers, without waiting."""

    def publish_envelopes(self, envelopes: Sequence[Envelope]) -> None:
        """Hand committed relational changes to the subscribers, without waiting."""

    def subscribe(
        self,
        name: str,
        *,
        maxsize: int = 1000,
        predicate: Predicate | None = None,
        kinds: Collection[str] | None = REGION_EVENTS_ONLY,
    ) -> Subscription:
        """Open a subscription to the messages of ``kinds`` published from now on."""

    def add_listener(
        self, listener: Listener, *, kinds: Collection[str] | None = REGION_EVENTS_ONLY
    ) -> None:
        """Hand every batch of ``kinds`` published from now on to ``listener.deliver``."""

    def remove_listener(self, listener: Listener) -> None:
        """Stop handing batches to a listener."""

    def close(self) -> None:
        """Close every subscription and tell every listener."""


class Bus:
    """The in-process bus (the :class:`BusPort` adapter for one process).

    Attributes:
        published: region events published so far.
        published_envelopes: relational changes published so far.
        dropped: subscriptions closed because their subscriber was too slow.
    """

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._listeners: list[tuple[Listener, frozenset[str] | None]] = []
        # the listeners that take region events, kept apart for the hot path
        self._region_listeners: list[Listener] = []
        self.published = 0
        self.published_envelopes = 0
        self.dropped = 0

    @property
    def subscriber_count(self) -> int:
        """Open subscriptions."""
        return len(self._subscriptions)

    def subscribe(
        self,
        name: str,
        *,
        maxsize: int = 1000,
        predicate: Predicate | None = None,
        kinds: Collection[str] | None = REGION_EVENTS_ONLY,
    ) -> Subscription:
        """Open a subscription to every message of ``kinds`` published from now on.

        Args:
            name: the subscriber's name, for logs.
            maxsize: messages buffered at most; one more closes the subscription as slow.
            predicate: keep only the messages for which it returns True (None keeps all). It
                runs inside :meth:`publish`, so it must be cheap and must not raise.
            kinds: the message kinds to receive (``region_event``, ``role.granted``...); None
                receives every kind. Default: region events only.

        Returns:
            The open subscription.

        Raises:
            ValueError: ``maxsize`` is below 1.
        """
        sub = Subscription(self, name, maxsize, predicate, kinds)
        self._subscriptions.append(sub)
        return sub

    def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Hand committed region events to every open subscription, without ever waiting.

        Args:
            events: committed events, in the order of their region stream.
        """
        if not events:
            return
        self.published += len(events)
        for sub in list(self._subscriptions):
            if not sub._region_events:
                continue
            for recorded in events:
                if sub.closed:
                    break
                sub._offer(recorded)
        for listener in list(self._region_listeners):
            try:
                listener.deliver(events)
            except Exception:  # a listener's bug must not reach the engine that published
                _log.exception("bus.listener_failed", listener=type(listener).__name__)

    def publish_envelopes(self, envelopes: Sequence[Envelope]) -> None:
        """Hand committed relational changes to the subscriptions and listeners of their
        kinds, without ever waiting.

        Args:
            envelopes: the changes, in outbox position order.
        """
        if not envelopes:
            return
        self.published_envelopes += len(envelopes)
        for sub in list(self._subscriptions):
            kinds = sub.kinds
            for envelope in envelopes:
                if sub.closed:
                    break
                if kinds is None or envelope.kind in kinds:
                    sub._offer(envelope)
        for listener, kinds in list(self._listeners):
            batch = envelopes if kinds is None else [e for e in envelopes if e.kind in kinds]
            if not batch:
                continue
            try:
                listener.deliver(batch)
            except Exception:  # a listener's bug must not reach the publisher
                _log.exception("bus.listener_failed", listener=type(listener).__name__)

    def add_listener(
        self, listener: Listener, *, kinds: Collection[str] | None = REGION_EVENTS_ONLY
    ) -> None:
        """Hand every batch of ``kinds`` published from now on to ``listener.deliver``.

        Args:
            listener: the listener; it is told ``bus_closed()`` when the bus closes.
            kinds: the message kinds it takes; None takes every kind. Default: region
                events only.
        """
        wanted = None if kinds is None else frozenset(kinds)
        self._listeners.append((listener, wanted))
        if wanted is None or REGION_EVENT in wanted:
            self._region_listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop handing batches to a listener.

        Args:
            listener: a listener added before.
        """
        self._listeners = [(li, k) for li, k in self._listeners if li is not listener]
        with contextlib.suppress(ValueError):
            self._region_listeners.remove(listener)

    def close(self) -> None:
        """Close every open subscription with the reason ``"bus_closed"``."""
        for sub in list(self._subscriptions):
            sub.close(BUS_CLOSED)
        for listener, _ in list(self._listeners):
            listener.bus_closed()

    def _forget(self, sub: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(sub)


def _as_port(bus: Bus) -> BusPort:
    """The in-process bus as the port (checked by mypy: the adapter cannot drift from it).

    Args:
        bus: the bus.

    Returns:
        The same bus.
    """
    return bus
