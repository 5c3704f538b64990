"""Combat rules: pirates, PvP policy, rounds, absorption order, destruction, loot, respawn."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain import errors
from starlane.domain.codec import copy_state
from starlane.domain.combat import fight, pirate_present
from starlane.domain.commands import Attack, Command
from starlane.domain.data import DEFAULT_RULES, RegionKind
from starlane.domain.events import CombatResolved, PirateDestroyed, ShipDestroyed, Strength
from starlane.domain.model import RegionState
from starlane.domain.rules import decide
from tests.domain.conftest import PIRATE_ID, PIRATE_SECTOR, T0, build_region, place, run, spawn


class FixedRng(random.Random):
    """Every uniform draw returns the mean (damage = fighters * fighter_damage)."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def _refused(state: RegionState, cmd: Command, now: float = T0) -> errors.DomainError:
    before = copy_state(state)
    with pytest.raises(errors.DomainError) as exc:
        decide(state, cmd, now, random.Random(1))
    assert state == before
    return exc.value


@pytest.fixture
def hunter(world: RegionState) -> RegionState:
    place(world, 7, PIRATE_SECTOR)
    return world


def test_destroying_a_pirate_loots_and_costs_turns(hunter: RegionState) -> None:
    events = run(hunter, Attack(7, "pirate", PIRATE_ID), T0, FixedRng())
    combat, destroyed = events
    assert isinstance(combat, CombatResolved) and isinstance(destroyed, PirateDestroyed)
    # 50 fighters deal 100: 10 fighters, 20 shields, then 70 > 30 hull
    assert combat.rounds[0].attacker_damage == 100 and len(combat.rounds) == 1
    assert combat.winner == "attacker" and combat.loot == 500
    p = hunter.players[7]
    assert p.credits == 10_500 and p.turns == 1_000 - DEFAULT_RULES.attack_turns
    pirate = hunter.pirates[PIRATE_ID]
    assert pirate.credits == 4_500 and pirate.destroyed_at == T0 and pirate.hull == 0


def test_pirate_respawns_lazily(hunter: RegionState) -> None:
    run(hunter, Attack(7, "pirate", PIRATE_ID), T0, FixedRng())
    later = T0 + DEFAULT_RULES.pirate_respawn_seconds
    err = _refused(hunter, Attack(7, "pirate", PIRATE_ID), later - 1)
    assert err.code == "unknown_target" and err.kind == "not_found"
    assert pirate_present(hunter.pirates[PIRATE_ID], later, DEFAULT_RULES)
    hunter.players[7].ship.fighters = 2  # 4 damage, then the pirate's fighters kill them
    (combat,) = run(hunter, Attack(7, "pirate", PIRATE_ID), later, FixedRng())
    assert isinstance(combat, CombatResolved) and combat.winner == "none"
    assert combat.target_after == Strength(6, 20, 30)  # respawned at full strength
    assert combat.attacker_after.fighters == 0 and combat.attacker_after.shields < 300
    assert hunter.pirates[PIRATE_ID].destroyed_at is None


def test_losing_to_a_pirate_leaves_an_escape_pod(hunter: RegionState) -> None:
    pirate = hunter.pirates[PIRATE_ID]
    pirate.fighters = pirate.max_fighters = 5_000
    hunter.players[7].ship.cargo = {"ore": 10}
    events = run(hunter, Attack(7, "pirate", PIRATE_ID), T0, FixedRng())
    combat, lost = events
    assert isinstance(combat, CombatResolved) and isinstance(lost, ShipDestroyed)
    assert combat.winner == "target" and combat.loot == 1_000
    assert lost.cargo_lost == {"ore": 10} and lost.by_kind == "pirate"
    p = hunter.players[7]
    assert p.ship.type == "escape_pod" and p.ship.cargo == {} and p.credits == 9_000
    assert hunter.pirates[PIRATE_ID].credits == 6_000


def test_fighters_then_shields_absorb_before_hull() -> None:
    rounds, a, t = fight(Strength(10, 0, 10), Strength(5, 30, 50), DEFAULT_RULES, FixedRng())
    # round 1: 20 damage: 5 fighters, 15 shields; the target has no fighters left to fire
    assert rounds[0].attacker_damage == 20 and rounds[0].target_damage == 0
    # 100 damage in 5 rounds: 5 fighters + 30 shields + 50 hull = 85 -> destroyed in round 5
    assert len(rounds) == 5 and t == Strength(0, 0, 0) and a == Strength(10, 0, 10)
    two = replace(DEFAULT_RULES, max_combat_rounds=2)
    _, _, t1 = fight(Strength(10, 0, 10), Strength(0, 40, 50), two, FixedRng())
    assert t1 == Strength(0, 0, 50)  # 40 damage: all on shields, the hull untouched
    _, _, t2 = fight(Strength(1, 0, 10), Strength(0, 30, 50), DEFAULT_RULES, FixedRng())
    assert t2 == Strength(0, 10, 50)  # 10 rounds x 2 damage: shields only


def test_fight_ends_when_hull_reaches_zero() -> None:
    rounds, _, t = fight(Strength(100, 0, 10), Strength(0, 0, 150), DEFAULT_RULES, FixedRng())
    assert t.hull == 0 and len(rounds) == 1 and rounds[0].target_damage == 0


@settings(max_examples=60, deadline=None)
@given(
    a=st.tuples(st.integers(0, 3_000), st.integers(0, 1_000), st.integers(1, 1_000)),
    t=st.tuples(st.integers(0, 3_000), st.integers(0, 1_000), st.integers(1, 1_000)),
    seed=st.integers(0, 2**32),
)
def test_fight_is_bounded_and_deterministic(
    a: tuple[int, int, int], t: tuple[int, int, int], seed: int
) -> None:
    result = fight(Strength(*a), Strength(*t), DEFAULT_RULES, random.Random(seed))
    assert result == fight(Strength(*a), Strength(*t), DEFAULT_RULES, random.Random(seed))
    rounds, a_after, t_after = result
    assert len(rounds) <= DEFAULT_RULES.max_combat_rounds
    for before, after in ((a, a_after), (t, t_after)):
        assert 0 <= after.fighters <= before[0]
        assert 0 <= after.shields <= before[1]
        assert 0 <= after.hull <= before[2]
    assert not (a_after.hull == 0 and t_after.hull == 0)


def test_attack_is_deterministic_given_the_rng(hunter: RegionState) -> None:
    hunter.pirates[PIRATE_ID].fighters = 200
    hunter.pirates[PIRATE_ID].max_fighters = 200
    outcomes = set()
    for seed in range(8):
        e1 = decide(hunter, Attack(7, "pirate", PIRATE_ID), T0, random.Random(seed))
        e2 = decide(hunter, Attack(7, "pirate", PIRATE_ID), T0, random.Random(seed))
        assert e1 == e2
        outcomes.add(repr(e1[0].rounds if isinstance(e1[0], CombatResolved) else None))
    assert len(outcomes) > 1  # the draws matter


def test_attack_refusals(hunter: RegionState) -> None:
    assert _refused(hunter, Attack(99, "pirate", PIRATE_ID)).code == "unknown_player"
    assert _refused(hunter, Attack(7, "pirate", 12345)).code == "unknown_target"
    assert _refused(hunter, Attack(7, "planet", 30)).code == "invalid_command"
    assert _refused(hunter, Attack(7, "player", 7)).code == "cannot_attack_self"
    assert _refused(hunter, Attack(7, "player", 8)).code == "unknown_target"
    hunter.players[7].turns = DEFAULT_RULES.attack_turns - 1
    assert _refused(hunter, Attack(7, "pirate", PIRATE_ID)).code == "insufficient_turns"
    place(hunter, 7, 1)
    hunter.players[7].turns = 1_000
    assert _refused(hunter, Attack(7, "pirate", PIRATE_ID)).code == "not_in_sector"


def test_pvp_forbidden_in_terran_space_even_if_policy_says_on(world: RegionState) -> None:
    spawn(world, 8)
    world.region.policy.pvp = True
    err = _refused(world, Attack(7, "player", 8))
    assert err.code == "pvp_forbidden" and err.kind == "forbidden"


def test_pvp_forbidden_when_policy_off(pvp_world: RegionState) -> None:
    pvp_world.region.policy.pvp = False
    assert _refused(pvp_world, Attack(7, "player", 8)).code == "pvp_forbidden"


def test_pvp_destroys_the_loser_and_loots(pvp_world: RegionState) -> None:
    pvp_world.players[7].ship.fighters = 500
    pvp_world.players[8].ship.cargo = {"fuel": 40}
    pvp_world.players[8].credits = 12_345
    events = run(pvp_world, Attack(7, "player", 8), T0, FixedRng())
    combat, lost = events
    assert isinstance(combat, CombatResolved) and isinstance(lost, ShipDestroyed)
    assert combat.winner == "attacker" and combat.loot == 1_234
    assert lost.player_id == 8 and lost.by_kind == "player" and lost.by_id == 7
    assert pvp_world.players[8].ship.type == "escape_pod"
    assert pvp_world.players[8].ship.cargo == {} and pvp_world.players[8].credits == 11_111
    assert pvp_world.players[7].credits == 10_000 + 1_234


def test_pvp_target_in_another_sector(pvp_world: RegionState) -> None:
    place(pvp_world, 8, 2)
    assert _refused(pvp_world, Attack(7, "player", 8)).code == "not_in_sector"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), fighters=st.integers(0, 600))
def test_combat_conserves_credits(seed: int, fighters: int) -> None:
    state = build_region(RegionKind.PLAYER, region_id=3, pvp=True)
    spawn(state, 7)
    spawn(state, 8)
    state.players[8].ship.fighters = fighters
    total = sum(p.credits for p in state.players.values())
    run(state, Attack(7, "player", 8), T0, random.Random(seed))
    assert sum(p.credits for p in state.players.values()) == total
