"""The Nexus transit authority's gate terminals: opened for a provisioned region, closed with it.

A player region is reached from the Central Nexus through one gate terminal, a sector of the
transit-authority district whose gate leads to the region's gate sector. The terminals of the
generated galaxy are part of the Nexus' initial snapshot; a region provisioned later gets its
terminal through :class:`OpenGateTerminal`, a command to the Nexus engine whose event
(:class:`GateTerminalOpened`) is in the Nexus' stream, so a replay rebuilds the link. Closing a
region closes its terminal the same way (:class:`CloseGateTerminal`,
:class:`GateTerminalClosed`).

Both commands are the platform's (``player_id`` 0).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.data import RegionKind
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, register_event
from starlane.domain.model import GateLink, RegionState
from starlane.domain.rules import register_decider, register_evolver

__all__ = [
    "CloseGateTerminal",
    "GateTerminalClosed",
    "GateTerminalOpened",
    "OpenGateTerminal",
    "TerminalTakenError",
    "decide_close_terminal",
    "decide_open_terminal",
]


class TerminalTakenError(DomainError):
    """The terminal sector is not a free transit-authority terminal of the Nexus."""

    code = "terminal_taken"
    kind = "conflict"


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OpenGateTerminal(Command):
    """Open a Nexus gate terminal to a region's gate sector (sent to the Nexus engine).

    Attributes:
        terminal_sector_id: the transit-authority sector (global id) that takes the gate.
        to_region_id: the region the gate leads to.
        to_sector_id: that region's gate sector (global id).
        region_name: the region's name (for the event's readers).
    """

    name: ClassVar[str] = "open_gate_terminal"
    terminal_sector_id: int
    to_region_id: int
    to_sector_id: int
    region_name: str


@dataclass(frozen=True, slots=True)
class CloseGateTerminal(Command):
    """Close the Nexus gate terminal that leads to a region (sent to the Nexus engine).

    Attributes:
        to_region_id: the region whose terminal closes.
    """

    name: ClassVar[str] = "close_gate_terminal"
    to_region_id: int


# --- events -----------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateTerminalOpened(Event):
    """A Nexus terminal's gate now leads to a region (recorded by the Nexus).

    Attributes:
        terminal_sector_id: the Nexus sector holding the gate.
        to_region_id: the region it leads to.
        to_sector_id: the region's gate sector.
        region_name: the region's name when the terminal opened.
    """

    type: ClassVar[str] = "gate_terminal_opened"
    terminal_sector_id: int
    to_region_id: int
    to_sector_id: int
    region_name: str


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateTerminalClosed(Event):
    """A Nexus terminal's gate to a region was taken down (recorded by the Nexus).

    Attributes:
        terminal_sector_id: the Nexus sector that held the gate.
        to_region_id: the region it led to.
    """

    type: ClassVar[str] = "gate_terminal_closed"
    terminal_sector_id: int
    to_region_id: int


# --- decide -----------------------------------------------------------------------------------
def _nexus_only(state: RegionState) -> None:
    if state.region.kind is not RegionKind.NEXUS:
        raise TerminalTakenError(
            f"gate terminals are in the Central Nexus, not in region {state.region.id}",
            region_id=state.region.id,
        )


def decide_open_terminal(
    state: RegionState, command: OpenGateTerminal, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the opening of a gate terminal.

    Args:
        state: the Nexus (not modified).
        command: the terminal to open.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[GateTerminalOpened]``, or ``[]`` when that terminal already leads to that sector
        (a repeated delivery is a no-op).

    Raises:
        TerminalTakenError: the state is not the Nexus, the sector is not in it, or it already
            holds a gate to somewhere else.
    """
    _nexus_only(state)
    sector = state.sectors.get(command.terminal_sector_id)
    if sector is None:
        raise TerminalTakenError(
            f"sector {command.terminal_sector_id} is not in the Central Nexus",
            sector_id=command.terminal_sector_id,
        )
    gate = sector.gate
    if gate is not None:
        if (gate.to_region_id, gate.to_sector_id) == (command.to_region_id, command.to_sector_id):
            return []
        raise TerminalTakenError(
            f"terminal {command.terminal_sector_id} already leads to region {gate.to_region_id}",
            sector_id=command.terminal_sector_id,
        )
    return [
        GateTerminalOpened(
            region_id=state.region.id,
            at=now,
            terminal_sector_id=command.terminal_sector_id,
            to_region_id=command.to_region_id,
            to_sector_id=command.to_sector_id,
            region_name=command.region_name,
        )
    ]


def decide_close_terminal(
    state: RegionState, command: CloseGateTerminal, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the closing of the terminal that leads to a region.

    Args:
        state: the Nexus (not modified).
        command: the region whose terminal closes.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[GateTerminalClosed]``, or ``[]`` when no terminal leads there (already closed).

    Raises:
        TerminalTakenError: the state is not the Nexus.
    """
    _nexus_only(state)
    for sector_id in sorted(state.sectors):
        gate = state.sectors[sector_id].gate
        if gate is not None and gate.to_region_id == command.to_region_id:
            return [
                GateTerminalClosed(
                    region_id=state.region.id,
                    at=now,
                    terminal_sector_id=sector_id,
                    to_region_id=command.to_region_id,
                )
            ]
    return []


# --- evolve -----------------------------------------------------------------------------------
def _opened(state: RegionState, e: GateTerminalOpened) -> None:
    sector = state.sectors.get(e.terminal_sector_id)
    if sector is not None:
        sector.gate = GateLink(e.to_region_id, e.to_sector_id)


def _closed(state: RegionState, e: GateTerminalClosed) -> None:
    sector = state.sectors.get(e.terminal_sector_id)
    gate = None if sector is None else sector.gate
    if sector is not None and gate is not None and gate.to_region_id == e.to_region_id:
        sector.gate = None


register_decider(OpenGateTerminal, decide_open_terminal)
register_decider(CloseGateTerminal, decide_close_terminal)
register_evolver(GateTerminalOpened, _opened)
register_evolver(GateTerminalClosed, _closed)
