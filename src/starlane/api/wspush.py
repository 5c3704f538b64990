"""How events and queued replies become WebSocket messages: one push message per event, or
one ``batch`` message carrying everything that got ready together, in order.

Each event's JSON is encoded once (:class:`EventJsonCache`) however many sockets receive it.
"""

from __future__ import annotations

from collections import OrderedDict

import msgspec

from starlane.api.metrics import WebSocketSends
from starlane.api.wsfeed import envelope_text
from starlane.domain import events as ev
from starlane.domain.codec import event_to_dict
from starlane.domain.envelope import BusMessage, Envelope

_json = msgspec.json.Encoder()


class EventJsonCache:
    """The JSON of recently published events, encoded once however many sockets receive them.

    A sector event reaches every player in the sector; encoding it once per event instead of
    once per recipient keeps the fan-out cost to a string join per socket.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[int, str] = OrderedDict()

    def body(self, recorded: ev.RecordedEvent) -> str:
        """The ``event`` object of a push message, as JSON text."""
        text = self._items.get(recorded.position)
        if text is None:
            text = _json.encode(event_to_dict(recorded.event)).decode()
            self._items[recorded.position] = text
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return text


def event_text(recorded: BusMessage, channel: str, bodies: EventJsonCache) -> str:
    """The single-event push message (or a relational change's), as JSON text.

    Args:
        recorded: a region event or a relational change's envelope.
        channel: the channel it is pushed on (``player``, ``sector``, ``region``, ``admin``).
        bodies: the event JSON cache.

    Returns:
        The message's JSON text.
    """
    if isinstance(recorded, Envelope):
        return envelope_text(recorded, channel)
    actor = "null" if recorded.actor_id is None else str(recorded.actor_id)
    return (
        f'{{"type":"event","channel":"{channel}","position":{recorded.position},'
        f'"region_id":{recorded.region_id},"seq":{recorded.seq},"actor_id":{actor},'
        f'"event":{bodies.body(recorded)}}}'
    )


def compose(
    queued: list[tuple[str, str, int]],
    events: list[tuple[BusMessage, str]],
    first: int,
    bodies: EventJsonCache,
    sends: WebSocketSends,
) -> str:
    """One message carrying the queued messages and the events, in the order they got ready.

    Args:
        queued: ``(text, kind, mark)`` replies and notices; each goes after the events whose
            outbox index is below its mark.
        events: ``(event, channel)`` pairs taken from the outbox.
        first: the outbox index of ``events[0]``.
        bodies: the event JSON cache.
        sends: the send counters (:class:`~starlane.api.metrics.WebSocketSends`), bumped.

    Returns:
        The message: a lone message as itself, several as a ``batch`` message.
    """
    count = len(queued) + len(events)
    sends.events_pushed += len(events)
    if count == 1:
        if events:
            sends.event += 1
            recorded, channel = events[0]
            return event_text(recorded, channel, bodies)
        text, kind, _ = queued[0]
        if kind == "reply":
            sends.reply += 1
        else:
            sends.other += 1
        return text
    parts: list[str] = []
    index = 0
    for text, kind, mark in queued:
        while index < len(events) and first + index < mark:
            recorded, channel = events[index]
            parts.append(event_text(recorded, channel, bodies))
            index += 1
        parts.append(text)
        if kind == "reply":
            sends.batched_reply += 1
        else:
            sends.batched_other += 1
    for recorded, channel in events[index:]:
        parts.append(event_text(recorded, channel, bodies))
    sends.batched_event += len(events)
    sends.batch += 1
    return f'{{"type":"batch","messages":[{",".join(parts)}]}}'
