"""The Nexus gate terminals (opened and closed by events) and the regional roles table."""

from __future__ import annotations

import pytest

from starlane.domain.codec import decode_event, encode_event
from starlane.domain.data import RegionKind
from starlane.domain.governance import REGION_RIGHTS, RegionRole, may, region_roles
from starlane.domain.model import GateLink
from starlane.domain.terminals import (
    CloseGateTerminal,
    GateTerminalClosed,
    GateTerminalOpened,
    OpenGateTerminal,
    TerminalTakenError,
)
from tests.domain.conftest import T0, build_region, run


def _nexus():
    return build_region(RegionKind.NEXUS, region_id=2, first_sector_id=301)


def test_opening_a_terminal_links_the_sector_and_a_replay_rebuilds_it():
    nexus = _nexus()
    events = run(nexus, OpenGateTerminal(0, 305, 9, 9_001, "Vega Reach"))
    assert [type(e) for e in events] == [GateTerminalOpened]
    assert nexus.sectors[305].gate == GateLink(9, 9_001)
    replayed = _nexus()
    decoded = decode_event(events[0].type, events[0].version, encode_event(events[0]))
    run(replayed, CloseGateTerminal(0, 9))  # nothing to close yet: no event, no change
    from starlane.domain.rules import evolve

    evolve(replayed, decoded)
    assert replayed.sectors[305].gate == GateLink(9, 9_001)


def test_a_repeated_opening_is_a_no_op_and_a_taken_terminal_is_refused():
    nexus = _nexus()
    run(nexus, OpenGateTerminal(0, 305, 9, 9_001, "Vega Reach"))
    assert run(nexus, OpenGateTerminal(0, 305, 9, 9_001, "Vega Reach")) == []
    with pytest.raises(TerminalTakenError) as refused:
        run(nexus, OpenGateTerminal(0, 305, 10, 10_001, "Other"))
    assert refused.value.code == "terminal_taken"
    with pytest.raises(TerminalTakenError):
        run(nexus, OpenGateTerminal(0, 1, 10, 10_001, "Other"))  # not a Nexus sector


def test_terminals_are_only_in_the_nexus():
    terran = build_region()
    with pytest.raises(TerminalTakenError):
        run(terran, OpenGateTerminal(0, 5, 9, 9_001, "Vega Reach"))


def test_closing_a_terminal_takes_its_gate_down_once():
    nexus = _nexus()
    run(nexus, OpenGateTerminal(0, 305, 9, 9_001, "Vega Reach"))
    events = run(nexus, CloseGateTerminal(0, 9), now=T0 + 5)
    assert events == [
        GateTerminalClosed(region_id=2, at=T0 + 5, terminal_sector_id=305, to_region_id=9)
    ]
    assert nexus.sectors[305].gate is None
    assert run(nexus, CloseGateTerminal(0, 9)) == []


def test_roles_follow_the_account_and_the_region():
    region = build_region(RegionKind.PLAYER, region_id=3).region
    region.governor_id = 10
    region.citizens.append(12)
    assert region_roles(10, ["player"], region) == {RegionRole.PLAYER, RegionRole.GOVERNOR}
    assert region_roles(11, ["player"], region, moderators={11}) == {
        RegionRole.PLAYER,
        RegionRole.MODERATOR,
    }
    assert region_roles(12, ["player"], region) == {RegionRole.PLAYER, RegionRole.CITIZEN}
    assert region_roles(13, ["player", "admin"], region) == {RegionRole.PLAYER, RegionRole.ADMIN}
    # the platform role "governor" of an account does not make it governor of this region
    assert RegionRole.GOVERNOR not in region_roles(14, ["player", "governor"], region)


def test_the_rights_table_decides_and_refuses_unknown_actions():
    assert may("region.policies.change", {RegionRole.PLAYER, RegionRole.GOVERNOR})
    assert not may("region.policies.change", {RegionRole.PLAYER, RegionRole.ADMIN})
    assert may("region.permits.change", {RegionRole.MODERATOR})
    assert may("region.stats.read", {RegionRole.ADMIN})
    assert not may("region.no.such.action", set(RegionRole))
    assert all(RegionRole.PLAYER in REGION_RIGHTS[a] for a in ("region.read",))
