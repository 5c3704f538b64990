"""Encoding of events (JSON) and region snapshots (MessagePack), and event upcasting.

This is the one place that knows the stored shapes. It is pure: bytes in, objects out.

- An event is stored as its ``type``, ``version`` and a JSON payload of its fields
  (:func:`encode_event`, :func:`decode_event`). Decoding is strict: a payload that does not
  match the class's field types raises :class:`CodecError`.
- An old event version is brought up to date by the upcasters registered with
  :func:`register_upcaster`, applied one version step at a time on the decoded JSON object.
  An event type that was replaced by another (several per-item types merged into one) is
  read through :func:`register_retype`: its stored form becomes a version of the new type,
  then that type's steps apply. The stored bytes are never rewritten.
- A region snapshot is the whole :class:`~starlane.domain.model.RegionState` except the rules
  in force, as MessagePack (:func:`encode_state`, :func:`decode_state`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from starlane.domain.data import DEFAULT_RULES, GameRules, Hardware
from starlane.domain.events import EVENT_TYPES, Event, HardwareBought
from starlane.domain.model import (
    PendingPayout,
    PendingTransfer,
    Pirate,
    Planet,
    Player,
    PlayerGate,
    Port,
    Region,
    RegionState,
    Sector,
)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}
_RETYPES: dict[tuple[str, int], tuple[str, int, Upcaster]] = {}
_json_encoder = msgspec.json.Encoder()
_msgpack_encoder = msgspec.msgpack.Encoder()
_json_decoders: dict[type[Event], msgspec.json.Decoder[Any]] = {}


class CodecError(ValueError):
    """Stored bytes that cannot be decoded into the expected type (unknown type, bad shape)."""


def register_upcaster(event_type: str, from_version: int, upcaster: Upcaster) -> None:
    """Register the step that turns version ``from_version`` of an event into the next one.

    Args:
        event_type: the event's ``type`` name.
        from_version: the stored version the upcaster reads; it returns version + 1.
        upcaster: function from the old payload object to the new payload object.

    Raises:
        ValueError: a step for that type and version is already registered.
    """
    key = (event_type, from_version)
    if key in _UPCASTERS:
        raise ValueError(f"upcaster for {event_type} v{from_version} registered twice")
    _UPCASTERS[key] = upcaster


def register_retype(
    old_type: str, old_version: int, new_type: str, new_version: int, upcaster: Upcaster
) -> None:
    """Register how a stored event of a type that no longer exists reads as another type.

    Args:
        old_type: the stored ``type`` name, which no event class carries any more.
        old_version: the stored version the upcaster reads.
        new_type: the ``type`` name of the class that replaced it.
        new_version: the version of ``new_type`` the upcaster returns (later steps of that
            type, :func:`register_upcaster`, then bring it up to date).
        upcaster: function from the old payload object to the new payload object.

    Raises:
        ValueError: ``old_type`` is the type of a current class, or that type and version
            already has a step.
    """
    if old_type in EVENT_TYPES:
        raise ValueError(f"{old_type} is a current event type: register an upcaster")
    key = (old_type, old_version)
    if key in _RETYPES:
        raise ValueError(f"retype of {old_type} v{old_version} registered twice")
    _RETYPES[key] = (new_type, new_version, upcaster)


def encode_event(event: Event) -> bytes:
    """JSON payload of an event's fields (``type`` and ``version`` are stored beside it).

    Args:
        event: any registered event.

    Returns:
        UTF-8 JSON bytes.
    """
    return _json_encoder.encode(event)


def event_to_dict(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict including its ``type`` and ``version`` (for the wire).

    Args:
        event: any registered event.

    Returns:
        ``{"type": ..., "version": ..., <fields>}`` with only JSON types inside.
    """
    body: dict[str, Any] = msgspec.to_builtins(event)
    return {"type": event.type, "version": event.version, **body}


def _registered_after_loading_rules(event_type: str) -> type[Event] | None:
    """The class of an event type that a feature module registers, loading them all first.

    Feature modules (governance, treasury, guild transfers, gates, jumps, diplomacy...)
    register their event types when imported, and :mod:`starlane.domain.rules` imports every
    one of them. A process that only reads the store (``starlane projector``, ``starlane
    audit verify``) may never have imported it: the first unknown type loads it, once.

    Args:
        event_type: the stored ``type`` name.

    Returns:
        The registered class, or None when no module registers that type.
    """
    import starlane.domain.rules  # noqa: F401  (registers every feature's event types)

    return EVENT_TYPES.get(event_type)


def decode_event(event_type: str, version: int, payload: bytes | str) -> Event:
    """Rebuild an event from its stored form, upcasting older versions.

    Args:
        event_type: the stored ``type`` name.
        version: the stored version.
        payload: the stored JSON payload.

    Returns:
        The event as an instance of its current class.

    Raises:
        CodecError: unknown type, a version newer than the code knows, a missing upcaster,
            or a payload that does not match the class.
    """
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        cls = _registered_after_loading_rules(event_type)
    retype = None
    if cls is None:
        retype = _RETYPES.get((event_type, version))
        if retype is None:
            raise CodecError(f"unknown event type {event_type!r} (v{version})")
        stored = f"{event_type} v{version}"
        event_type, version = retype[0], retype[1]
        cls = EVENT_TYPES.get(event_type)
        if cls is None:
            raise CodecError(f"{stored} reads as {event_type!r}, which is unknown")
    if version > cls.version:
        raise CodecError(f"{event_type} v{version} is newer than this code (v{cls.version})")
    try:
        if version == cls.version and retype is None:
            decoder = _json_decoders.get(cls)
            if decoder is None:
                decoder = _json_decoders[cls] = msgspec.json.Decoder(cls)
            event: Event = decoder.decode(payload)
            return event
        obj: dict[str, Any] = msgspec.json.decode(payload)
        steps: list[Upcaster] = [] if retype is None else [retype[2]]
        for v in range(version, cls.version):
            step = _UPCASTERS.get((event_type, v))
            if step is None:
                raise CodecError(f"no upcaster for {event_type} v{v}")
            steps.append(step)
        for step in steps:
            try:
                obj = step(obj)
            except (KeyError, TypeError, AttributeError) as exc:
                raise CodecError(f"{event_type}: stored payload of another shape: {exc!r}") from exc
        upcast: Event = msgspec.convert(obj, cls)
        return upcast
    except msgspec.ValidationError as exc:
        raise CodecError(f"{event_type} v{version}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise CodecError(f"{event_type} v{version}: malformed JSON: {exc}") from exc


# --- upcasters of stored shapes --------------------------------------------------------------
def _hardware_v1(item: Hardware, units_field: str) -> Upcaster:
    """``fighters_bought``/``holds_bought``/``shields_bought`` v1 -> ``hardware_bought`` v1."""

    def step(old: dict[str, Any]) -> dict[str, Any]:
        new = {k: v for k, v in old.items() if k not in ("count", units_field)}
        new["item"] = str(item)
        new["quantity"] = old["count"]
        new["units_after"] = old[units_field]
        return new

    return step


for _old, _item, _units in (
    ("fighters_bought", Hardware.FIGHTERS, "fighters_after"),
    ("holds_bought", Hardware.HOLDS, "holds_after"),
    ("shields_bought", Hardware.SHIELDS, "shields_after"),
):
    register_retype(_old, 1, HardwareBought.type, 1, _hardware_v1(_item, _units))


@dataclass(slots=True)
class _Snapshot:
    region: Region
    sectors: dict[int, Sector] = field(default_factory=dict)
    ports: dict[int, Port] = field(default_factory=dict)
    planets: dict[int, Planet] = field(default_factory=dict)
    pirates: dict[int, Pirate] = field(default_factory=dict)
    players: dict[int, Player] = field(default_factory=dict)
    seq: int = 0
    transfers_out: dict[str, PendingTransfer] = field(default_factory=dict)
    transfers_in: dict[str, str] = field(default_factory=dict)
    payouts_out: dict[str, PendingPayout] = field(default_factory=dict)
    payouts_done: dict[str, str] = field(default_factory=dict)
    gates: dict[int, PlayerGate] = field(default_factory=dict)


_snapshot_decoder = msgspec.msgpack.Decoder(_Snapshot)


def encode_state(state: RegionState) -> bytes:
    """A region's state as MessagePack bytes, for snapshots (the rules are not included).

    Args:
        state: the region state.

    Returns:
        MessagePack bytes that :func:`decode_state` turns back into an equal state.
    """
    snap = _Snapshot(
        state.region,
        state.sectors,
        state.ports,
        state.planets,
        state.pirates,
        state.players,
        state.seq,
        state.transfers_out,
        state.transfers_in,
        state.payouts_out,
        state.payouts_done,
        state.gates,
    )
    return _msgpack_encoder.encode(snap)


def decode_state(data: bytes, rules: GameRules = DEFAULT_RULES) -> RegionState:
    """Rebuild a region's state from :func:`encode_state` bytes.

    Args:
        data: snapshot bytes.
        rules: the rule numbers in force on this server.

    Returns:
        A new, independent :class:`RegionState`.

    Raises:
        CodecError: the bytes are not a snapshot of this shape.
    """
    try:
        snap = _snapshot_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise CodecError(f"bad region snapshot: {exc}") from exc
    return RegionState(
        snap.region,
        snap.sectors,
        snap.ports,
        snap.planets,
        snap.pirates,
        snap.players,
        snap.seq,
        rules,
        snap.transfers_out,
        snap.transfers_in,
        snap.payouts_out,
        snap.payouts_done,
        snap.gates,
    )


def copy_state(state: RegionState) -> RegionState:
    """A deep, independent copy of a region's state (through the snapshot codec).

    Args:
        state: the region state.

    Returns:
        An equal state sharing no mutable object with ``state``.
    """
    return decode_state(encode_state(state), state.rules)
