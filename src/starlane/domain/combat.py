"""Combat: attacks on NPC pirates and, where the region allows PvP, on other players' ships.

An attack costs ``GameRules.attack_turns`` and is fought between two parties in the same
sector, for at most ``max_combat_rounds`` rounds. In each round the attacker fires first, then
the target if it still has hull. A side's damage is drawn uniformly in
``fighters * fighter_damage * (1 +/- damage_spread)`` (rounded; no fighters, no damage). Damage
is absorbed first by fighters (one fighter per ``fighter_hit_points``), then by shields point
for point, and only then reaches the hull. A side whose hull reaches 0 is destroyed and the
fight ends: the winner loots ``loot_fraction`` of the loser's carried credits (rounded down).

Every draw is made in :func:`decide_attack` and recorded in ``CombatResolved.rounds`` together
with both sides' resulting strength, so :func:`~starlane.domain.rules.evolve` copies facts and a
replay is exact. A destroyed player ship yields ``ShipDestroyed`` (cargo lost, the owner
continues in an escape pod); a destroyed pirate yields ``PirateDestroyed`` and respawns at full
strength ``pirate_respawn_seconds`` later, lazily (no timer: it is simply present again).
PvP is refused where the region's policy has it off and always in Terran Space.
"""

from __future__ import annotations

import random

from starlane.domain.commands import Attack
from starlane.domain.data import GameRules, RegionKind
from starlane.domain.errors import (
    CannotAttackSelfError,
    InsufficientTurnsError,
    InvalidCommandError,
    NotInSectorError,
    PvpForbiddenError,
    UnknownTargetError,
)
from starlane.domain.events import (
    CombatResolved,
    CombatRound,
    Event,
    PirateDestroyed,
    ShipDestroyed,
    Strength,
)
from starlane.domain.model import Pirate, RegionState
from starlane.domain.movement import current_turns, require_player

PIRATE = "pirate"
PLAYER = "player"
TARGET_KINDS = (PIRATE, PLAYER)


def pirate_present(pirate: Pirate, now: float, rules: GameRules) -> bool:
    """Whether a pirate is in its sector at ``now`` (alive, or respawned after destruction).

    Args:
        pirate: the pirate.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        True unless it was destroyed less than ``pirate_respawn_seconds`` ago.
    """
    return pirate.destroyed_at is None or now >= pirate.destroyed_at + rules.pirate_respawn_seconds


def pirate_strength(pirate: Pirate, now: float, rules: GameRules) -> Strength:
    """A pirate's strength at ``now``: full after a respawn, else its current strength.

    Args:
        pirate: the pirate.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        Its fighters, shields and hull.
    """
    if pirate.destroyed_at is not None and pirate_present(pirate, now, rules):
        return Strength(pirate.max_fighters, pirate.max_shields, pirate.max_hull)
    return Strength(pirate.fighters, pirate.shields, pirate.hull)


def _draw(fighters: int, rules: GameRules, rng: random.Random) -> int:
    if fighters <= 0:
        return 0
    spread = rules.damage_spread
    return round(fighters * rules.fighter_damage * rng.uniform(1.0 - spread, 1.0 + spread))


def _absorb(side: list[int], damage: int, hit_points: int) -> None:
    """Apply damage to ``[fighters, shields, hull]`` in place."""
    f, s, h = side
    if f > 0 and damage > 0:
        lost = min(f, damage // hit_points)
        if lost < f:
            damage = 0
        else:
            damage -= lost * hit_points
        f -= lost
    take = min(s, damage)
    s -= take
    damage -= take
    h = max(0, h - damage)
    side[0], side[1], side[2] = f, s, h


def fight(
    attacker: Strength, target: Strength, rules: GameRules, rng: random.Random
) -> tuple[tuple[CombatRound, ...], Strength, Strength]:
    """Fight out an attack (pure apart from the draws taken from ``rng``).

    Args:
        attacker: the attacker's strength before the fight.
        target: the target's strength before the fight.
        rules: the rule numbers in force.
        rng: the source of every random draw.

    Returns:
        ``(rounds, attacker_after, target_after)``.
    """
    a = [attacker.fighters, attacker.shields, attacker.hull]
    t = [target.fighters, target.shields, target.hull]
    hp = rules.fighter_hit_points
    rounds: list[CombatRound] = []
    for _ in range(rules.max_combat_rounds):
        if a[0] <= 0 and t[0] <= 0:
            break
        dealt = _draw(a[0], rules, rng)
        _absorb(t, dealt, hp)
        if t[2] <= 0:
            rounds.append(CombatRound(dealt, 0))
            break
        taken = _draw(t[0], rules, rng)
        _absorb(a, taken, hp)
        rounds.append(CombatRound(dealt, taken))
        if a[2] <= 0:
            break
    return tuple(rounds), Strength(*a), Strength(*t)


def decide_attack(
    state: RegionState, command: Attack, now: float, rng: random.Random
) -> list[Event]:
    """Decide an attack on a pirate or a player in the attacker's sector.

    Args:
        state: the region.
        command: the attack.
        now: unix seconds.
        rng: the source of every combat draw.

    Returns:
        ``CombatResolved``, then ``ShipDestroyed`` or ``PirateDestroyed`` for a destroyed side.

    Raises:
        UnknownPlayerError, InvalidCommandError (unknown target kind), UnknownTargetError,
        CannotAttackSelfError, PvpForbiddenError, NotInSectorError, InsufficientTurnsError.
    """
    player = require_player(state, command.player_id)
    rules = state.rules
    kind = command.target_kind
    tid = command.target_id
    if kind == PIRATE:
        pirate = state.pirates.get(tid)
        if pirate is None or not pirate_present(pirate, now, rules):
            raise UnknownTargetError(f"no pirate {tid} here", target_id=tid)
        target_sector = pirate.sector_id
        target_strength = pirate_strength(pirate, now, rules)
        target_credits = pirate.credits
    elif kind == PLAYER:
        if tid == player.id:
            raise CannotAttackSelfError("you cannot attack your own ship")
        other = state.players.get(tid)
        if other is None:
            raise UnknownTargetError(f"no player {tid} in this region", target_id=tid)
        region = state.region
        if region.kind == RegionKind.TERRAN or not region.policy.pvp:
            raise PvpForbiddenError(f"{region.name} forbids attacks on players")
        target_sector = other.sector_id
        s = other.ship
        target_strength = Strength(s.fighters, s.shields, s.hull)
        target_credits = other.credits
    else:
        raise InvalidCommandError(
            f"target kind must be one of {', '.join(TARGET_KINDS)}, got {kind!r}"
        )
    if target_sector != player.sector_id:
        raise NotInSectorError(f"the target is not in sector {player.sector_id}", target_id=tid)
    turns, turns_at = current_turns(player, now, rules)
    cost = rules.attack_turns
    if turns < cost:
        raise InsufficientTurnsError(
            f"an attack costs {cost} turns, {turns} available", needed=cost, available=turns
        )
    ship = player.ship
    rounds, a_after, t_after = fight(
        Strength(ship.fighters, ship.shields, ship.hull), target_strength, rules, rng
    )
    credits = player.credits
    winner = "none"
    loot = 0
    if t_after.hull <= 0:
        winner = "attacker"
        loot = int(target_credits * rules.loot_fraction)
        credits += loot
        target_credits -= loot
    elif a_after.hull <= 0:
        winner = "target"
        loot = int(credits * rules.loot_fraction)
        credits -= loot
        target_credits += loot
    region_id = state.region.id
    sector_id = player.sector_id
    events: list[Event] = [
        CombatResolved(
            region_id=region_id,
            at=now,
            player_id=player.id,
            sector_id=sector_id,
            target_kind=kind,
            target_id=tid,
            rounds=rounds,
            attacker_after=a_after,
            target_after=t_after,
            winner=winner,
            loot=loot,
            attacker_credits_after=credits,
            target_credits_after=target_credits,
            turns_left=turns - cost,
            turns_at=turns_at,
        )
    ]
    if winner == "attacker":
        if kind == PIRATE:
            events.append(
                PirateDestroyed(
                    region_id=region_id,
                    at=now,
                    pirate_id=tid,
                    sector_id=sector_id,
                    by_player_id=player.id,
                )
            )
        else:
            victim = state.players[tid]
            events.append(
                ShipDestroyed(
                    region_id=region_id,
                    at=now,
                    player_id=tid,
                    sector_id=sector_id,
                    ship_type=victim.ship.type,
                    cargo_lost=dict(victim.ship.cargo),
                    by_kind=PLAYER,
                    by_id=player.id,
                )
            )
    elif winner == "target":
        events.append(
            ShipDestroyed(
                region_id=region_id,
                at=now,
                player_id=player.id,
                sector_id=sector_id,
                ship_type=ship.type,
                cargo_lost=dict(ship.cargo),
                by_kind=kind,
                by_id=tid,
            )
        )
    return events
