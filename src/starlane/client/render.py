"""Text rendering for the terminal client: sector, port, player status, map and events.

Pure functions from API documents (``SectorOut``, ``PortOut``, ``MeOut``, WebSocket events) to
Rich markup strings, so the look of the client is tested without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.markup import escape

JSON = dict[str, Any]

ONE_WAY = "⇢"
"""The mark of a one-way warp (no warp leads back), after its destination."""


@dataclass(slots=True)
class Names:
    """Names the client has seen, to show events with names rather than ids.

    Attributes:
        players: player id -> name (from ``/me``, the ships in sectors, ``player_spawned``).
        sectors: sector id -> name: its port's name (``Sol``), for sectors seen with a port.
    """

    players: dict[int, str] = field(default_factory=dict)
    sectors: dict[int, str] = field(default_factory=dict)

    def learn_sector(self, sector: JSON) -> None:
        """Remember the names a sector view shows (its port, the ships' owners).

        Args:
            sector: a ``SectorOut`` document.
        """
        port = sector.get("port")
        if port and port.get("name"):
            self.sectors[int(sector["id"])] = str(port["name"])
        for ship in sector.get("ships", []):
            self.players[int(ship["player_id"])] = str(ship["player_name"])

    def learn_event(self, event: JSON) -> None:
        """Remember the names an event carries.

        Args:
            event: the ``event`` of a WebSocket event message.
        """
        if "player_id" in event and event.get("player_name"):
            self.players[int(event["player_id"])] = str(event["player_name"])

    def unknown_players(self, event: JSON) -> set[int]:
        """The ids of the players an event names whose names are not known.

        Args:
            event: the ``event`` of a WebSocket event message.

        Returns:
            Player ids.
        """
        ids = {event.get("player_id")}
        if event.get("target_kind") == "player":
            ids.add(event.get("target_id"))
        return {int(i) for i in ids if i is not None and int(i) not in self.players}

    def player(self, player_id: Any) -> str:
        """A player's name (``player 42`` when not known)."""
        if player_id is None:
            return "someone"
        return self.players.get(int(player_id), f"player {player_id}")

    def sector(self, sector_id: Any) -> str:
        """A sector's name: its port's (``Sol``) when known, else ``sector 12``."""
        if sector_id is None:
            return "?"
        return self.sectors.get(int(sector_id), f"sector {sector_id}")


def is_one_way(sector: JSON, to: int, known: dict[int, JSON]) -> bool:
    """Whether the warp from ``sector`` to ``to`` is one-way (no warp leads back).

    The API's warp may say so (``one_way``); else the client knows it when it has seen the
    destination's warps.

    Args:
        sector: the ``SectorOut`` the warp leaves.
        to: the destination's id.
        known: sector id -> ``SectorOut`` of sectors seen.

    Returns:
        True when one-way; False when two-way or not known.
    """
    for warp in sector.get("warps", []):
        if int(warp["to_sector_id"]) == to and warp.get("one_way") is not None:
            return bool(warp["one_way"])
    view = known.get(to)
    if view is None:
        return False
    back = {int(w["to_sector_id"]) for w in view.get("warps", [])}
    return int(sector["id"]) not in back


def warp_label(sector: JSON, to: int, known: dict[int, JSON]) -> str:
    """The label of a warp's button: the destination, ``⇢`` after it when one-way.

    Args:
        sector: the current ``SectorOut``.
        to: the destination's id.
        known: sector id -> ``SectorOut`` of sectors seen.

    Returns:
        Plain text, e.g. ``12`` or ``12 ⇢``.
    """
    return f"{to} {ONE_WAY}" if is_one_way(sector, to, known) else str(to)


def status_text(me: JSON) -> str:
    """The player panel: credits, turns, region and sector, ship, cargo.

    Args:
        me: the ``/me`` document.

    Returns:
        Rich markup.
    """
    turns = me.get("turns", {})
    ship = me.get("ship", {})
    cargo = ship.get("cargo") or {}
    cargo_text = ", ".join(f"{k} {v:,}" for k, v in sorted(cargo.items())) or "empty"
    lines = [
        f"[b]{escape(str(me.get('name', '?')))}[/b] ({escape(str(me.get('membership', '')))})",
        f"credits  [b green]{me.get('credits', 0):,}[/]",
        f"turns    [b]{turns.get('available', 0):,}[/] / {turns.get('max', 0):,}",
        f"region   {escape(str(me.get('region_name', '')))} ({me.get('region_id')})",
        f"sector   [b]{me.get('sector_id')}[/] (no. {me.get('sector_number')})",
        f"ship     {escape(str(ship.get('name', '')))} - {escape(str(ship.get('type_name', '')))}",
        f"holds    {ship.get('free_holds', 0):,} free of {ship.get('holds', 0):,}",
        f"fighters {ship.get('fighters', 0):,}  shields {ship.get('shields', 0):,}"
        f"  hull {ship.get('hull', 0):,}",
        f"cargo    {escape(cargo_text)}",
    ]
    return "\n".join(lines)


def sector_text(
    sector: JSON, port: JSON | None = None, known: dict[int, JSON] | None = None
) -> str:
    """The sector panel: where the player is, what is here, the port's prices.

    Args:
        sector: a ``SectorOut`` document.
        port: the ``PortOut`` of the sector's port, when known.
        known: sector id -> ``SectorOut`` of sectors seen (marks one-way warps).

    Returns:
        Rich markup.
    """
    lines = [
        f"[b]Sector {sector['id']}[/b] (no. {sector.get('number')} of region "
        f"{sector.get('region_id')})"
    ]
    extras = []
    if sector.get("hazard"):
        extras.append(f"[yellow]{sector['hazard']}[/]")
    if sector.get("district"):
        extras.append(str(sector["district"]).replace("_", " "))
    if sector.get("piracy"):
        extras.append(f"[red]piracy {sector['piracy']}[/]")
    if extras:
        lines.append(" | ".join(extras))
    seen = known or {}
    warps = ", ".join(
        f"{w['to_sector_id']}{'' if w.get('discovered') else '?'}"
        + (f" {ONE_WAY}" if is_one_way(sector, int(w["to_sector_id"]), seen) else "")
        + (f" ({w['turn_cost']}t)" if w.get("turn_cost", 1) != 1 else "")
        for w in sector.get("warps", [])
    )
    lines.append(f"warps: {warps or 'none'}")
    if ONE_WAY in warps:
        lines.append(f"[dim]{ONE_WAY} one-way: no warp leads back[/]")
    summary = sector.get("port")
    if summary:
        kind = "StarDock" if summary.get("stardock") else f"class {summary['class_code']}"
        lines.append(f"port: [b]{escape(summary['name'])}[/b] ({kind})")
        if port is not None:
            for c in port.get("commodities", []):
                verb = "sells" if c["direction"] == "sells" else "buys "
                lines.append(
                    f"  {verb} {c['commodity']:<11} {c['quantity']:>6,} units"
                    f"  @ {c['unit_price']:>8,.2f}"
                )
    for planet in sector.get("planets", []):
        lines.append(f"planet: {escape(planet['name'])} (class {planet['kind']})")
    for ship in sector.get("ships", []):
        lines.append(
            f"ship: {escape(ship['ship_name'])} of {escape(ship['player_name'])}"
            f" ({ship['ship_type']})"
        )
    for pirate in sector.get("pirates", []):
        lines.append(
            f"[red]pirate: {escape(pirate['name'])}[/] (id {pirate['id']}, "
            f"{pirate['fighters']} fighters, hull {pirate['hull']})"
        )
    if sector.get("gate"):
        lines.append(f"[cyan]{gate_text(sector['gate'])}[/]")
    return "\n".join(lines)


def gate_text(gate: JSON) -> str:
    """A gate link: destination region and sector, toll, turns and immigration policy.

    Args:
        gate: a ``GateOut``.

    Returns:
        One line of plain text, e.g. ``gate to Central Nexus (sector 301): toll 0 cr, 3
        turns, open``.
    """
    name = gate.get("to_region_name") or f"region {gate['to_region_id']}"
    text = (
        f"gate to {escape(name)} (sector {gate['to_sector_id']}): toll {gate.get('toll', 0):,} cr"
    )
    text += f", {gate.get('turn_cost', 3)} turns"
    if gate.get("immigration"):
        text += f", {gate['immigration']}"
    return text


def map_text(sector: JSON, known: dict[int, JSON]) -> str:
    """The neighbourhood map: the sector, its warps, and the warps beyond them that are known.

    Args:
        sector: the current ``SectorOut``.
        known: sector id -> ``SectorOut`` of sectors seen.

    Returns:
        Rich markup, one line per warp::

            [1] ─┬─ 58 BBS  → 80, 91
                 └─ 62 ?
    """
    warps = [int(w["to_sector_id"]) for w in sector.get("warps", [])]
    head = f"[b reverse] {sector['id']} [/]"
    if not warps:
        return head + " (no warps out)"
    pad = " " * (len(str(sector["id"])) + 2)
    lines = []
    for i, to in enumerate(warps):
        branch = (
            ("─┬─" if len(warps) > 1 else "───")
            if i == 0
            else (" └─" if i == len(warps) - 1 else " ├─")
        )
        view = known.get(to)
        label = warp_label(sector, to, known)
        if view is None:
            beyond = "[dim]unexplored[/]"
        else:
            port = view.get("port")
            if port:
                label += f" [cyan]{'DOCK' if port.get('stardock') else port['class_code']}[/]"
            if view.get("pirates"):
                label += " [red]![/]"
            onward = [int(w["to_sector_id"]) for w in view.get("warps", [])]
            beyond = ", ".join(str(n) for n in onward) or "dead end"
        lines.append(f"{head if i == 0 else pad}{branch} {label} → {beyond}")
    return "\n".join(lines)


def event_text(message: JSON, names: Names | None = None) -> str:
    """One line of the live event pane, with player and sector names where known.

    Args:
        message: a WebSocket message (``{"type": "event", "event": {...}}`` or a notice).
        names: the names the client has seen (ids are shown for the others).

    Returns:
        Rich markup.
    """
    if message.get("type") != "event":
        return f"[dim]{escape(str(message.get('type')))}[/]"
    n = names or Names()
    e = message.get("event", {})
    kind = e.get("type", "?")
    who = escape(e.get("player_name") or n.player(e.get("player_id")))

    def at(sector_id: Any) -> str:
        return f"[b]{escape(n.sector(sector_id))}[/]"

    if kind == "player_moved":
        return f"{who} moved {at(e.get('from_sector_id'))} → {at(e.get('sector_id'))}"
    if kind == "port_traded":
        return (
            f"{who} {'bought' if e.get('side') == 'buy' else 'sold'} {e.get('units')} "
            f"{e.get('commodity')} @ {float(e.get('unit_price', 0)):,.2f} "
            f"at {at(e.get('port_id'))}"
        )
    if kind == "combat_resolved":
        target = (
            escape(n.player(e.get("target_id")))
            if e.get("target_kind") == "player"
            else f"a pirate (id {e.get('target_id')})"
        )
        return (
            f"[red]combat[/] {who} vs {target} in {at(e.get('sector_id'))}: "
            f"winner {e.get('winner')}, loot {e.get('loot', 0):,}"
        )
    if kind == "player_spawned":
        return f"{who} entered the galaxy at {at(e.get('sector_id'))}"
    return f"{escape(kind)} ({message.get('channel')})"
