"""Diplomacy between region engines: owner decides, partner mirrors; home regions for the rules.

The rules are in :mod:`starlane.domain.diplomacy` (commands and events) and
:mod:`starlane.domain.diplomacy_terms` (what a relation changes for a player). This module:

- :class:`Diplomacy` sends a governor's stance or agreement change to the engine of the region
  that owns the relation, then the owner's copy to the other region's engine as an idempotent
  mirror (``MirrorStance``, ``MirrorAgreement``). A mirror that fails (the partner's engine is
  busy, recovering or closed) is left to :meth:`Diplomacy.reconcile`, which at start-up
  compares every owner's relations with its partners' copies and re-delivers the ones that
  differ (a crash between the two commits is repaired there).
- :func:`home_region` finds a player's home region among the regions a destination treats
  differently (:func:`~starlane.domain.diplomacy_terms.relation_partners`), so a passage or a
  trade in a region without relations costs one empty look-up; :func:`crossing_terms` gives
  the saga what the destination decides with; :func:`with_home_region` fills in a trade's
  ``home_region_id`` where the region has an agreement in force.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import structlog

from starlane.domain.commands import Trade
from starlane.domain.diplomacy import (
    AcceptAgreement,
    CancelAgreement,
    MirrorAgreement,
    MirrorStance,
    ProposeAgreement,
    SetStance,
    UnknownAgreementError,
)
from starlane.domain.diplomacy_terms import live_agreement, relation_partners
from starlane.domain.events import RecordedEvent
from starlane.domain.model import Agreement, Region, Stance
from starlane.engine.errors import EngineError, UnknownRegionError
from starlane.engine.region import RegionEngine

if TYPE_CHECKING:
    from starlane.engine.router import GalaxyService

__all__ = ["Diplomacy", "crossing_terms", "home_region", "with_home_region"]

_log = structlog.get_logger("starlane.engine.diplomacy")


def home_region(engines: Mapping[int, RegionEngine], region: Region, player_id: int) -> int | None:
    """The player's home region when it is one ``region`` has a relation with.

    Args:
        engines: region id -> engine (the galaxy's live mapping).
        region: the region deciding (a passage's destination, a trade's region).
        player_id: the player.

    Returns:
        The id of the region among ``region``'s relation partners whose citizens hold the
        player (the new home during an unfinished move), or None.
    """
    found: int | None = None
    for rid in relation_partners(region):
        engine = engines.get(rid)
        if engine is None:
            continue
        other = engine.state.region
        if player_id in other.citizens:
            if player_id in other.joining:
                return rid
            found = rid if found is None else found
    return found


def crossing_terms(
    engines: Mapping[int, RegionEngine], destination: Region, player_id: int
) -> tuple[int | None, int, float]:
    """What a gate passage into ``destination`` is decided with.

    The saga reads no clock: it passes the accepted agreement's discount and expiry, and the
    departure applies the discount only when its own decision time is before the expiry.

    Args:
        engines: region id -> engine.
        destination: the destination region.
        player_id: the player.

    Returns:
        ``(home_region_id, toll_discount_pct, discount_until)``: the player's home region if
        the destination has a relation with it; the percent off the destination's toll and
        the agreement's expiry (0 and 0.0 without an accepted, uncancelled agreement).
    """
    home = home_region(engines, destination, player_id)
    if home is None:
        return None, 0, 0.0
    agreement = live_agreement(destination, home, -math.inf)  # expiry: the departure's call
    if agreement is None or agreement.expires_at is None:
        return home, 0, 0.0
    return home, agreement.toll_discount_pct, agreement.expires_at


def with_home_region(command: Trade, engines: Mapping[int, RegionEngine], region: Region) -> Trade:
    """A trade with the trader's home region filled in when the region has relations.

    Args:
        command: the trade.
        engines: region id -> engine.
        region: the region the trade is made in.

    Returns:
        ``command`` itself when the trader's home region is none of the region's partners,
        else a copy with ``home_region_id`` set (the tax discount is decided by the rules).
    """
    if not region.agreements:
        return command
    home = home_region(engines, region, command.player_id)
    return command if home is None else dataclasses.replace(command, home_region_id=home)


class Diplomacy:
    """Drives stances and trade agreements between the galaxy's region engines.

    Args:
        galaxy: the galaxy service (its engines and :meth:`execute_in`).
    """

    def __init__(self, galaxy: GalaxyService) -> None:
        self._galaxy = galaxy

    def _known(self, region_id: int) -> Region:
        region = self._galaxy.region_info(region_id)
        if region is None:
            raise UnknownRegionError(f"no region {region_id}")
        return region

    async def set_stance(
        self, region_id: int, actor_id: int, other_region_id: int, stance: str, refuse_entry: bool
    ) -> list[RecordedEvent]:
        """Set a region's stance towards another, and mirror it there.

        Args:
            region_id: the region taking the stance.
            actor_id: its governor.
            other_region_id: the other region.
            stance: ``allied``, ``neutral`` or ``hostile``.
            refuse_entry: refuse the other's citizens entry (hostile only).

        Returns:
            The recorded events of both regions (empty when nothing changed).

        Raises:
            UnknownRegionError: no such other region.
            DomainError: the rules refused the stance (nothing changed).
            EngineError: the owner's engine could not take it.
        """
        self._known(other_region_id)
        command = SetStance(actor_id, other_region_id, stance, refuse_entry)
        recorded = await self._galaxy.execute_in(region_id, command)
        held = self._known(region_id).stances.get(other_region_id)
        if held is not None:
            recorded += await self._mirror_stance(region_id, other_region_id, held)
        return recorded

    async def propose(
        self,
        region_id: int,
        actor_id: int,
        other_region_id: int,
        toll_discount_pct: int,
        tax_discount_pct: int,
        days: int,
    ) -> tuple[Agreement, list[RecordedEvent]]:
        """Propose an agreement from a region (which owns it) to another, and mirror it there.

        Returns:
            The new agreement and the recorded events of both regions.

        Raises:
            UnknownRegionError: no such other region.
            DomainError: the rules refused the proposal.
            EngineError: the owner's engine could not take it.
        """
        self._known(other_region_id)
        command = ProposeAgreement(
            actor_id, other_region_id, toll_discount_pct, tax_discount_pct, days
        )
        recorded = await self._galaxy.execute_in(region_id, command)
        agreement = next(
            item.event.agreement  # type: ignore[attr-defined]
            for item in recorded
            if item.event.type == "agreement_changed"
        )
        return await self._after_change(agreement.id, recorded)

    async def accept(
        self, agreement_id: str, actor_id: int, actor_region_id: int
    ) -> tuple[Agreement, list[RecordedEvent]]:
        """Accept an agreement (decided by its owner), and mirror it at the other party.

        Raises:
            UnknownAgreementError: no such agreement.
            DomainError: the rules refused it (``agreement_not_open``, ...).
        """
        owner = self.owner_of(agreement_id)
        command = AcceptAgreement(actor_id, agreement_id, actor_region_id)
        recorded = await self._galaxy.execute_in(owner, command)
        return await self._after_change(agreement_id, recorded)

    async def cancel(
        self, agreement_id: str, actor_id: int, actor_region_id: int
    ) -> tuple[Agreement, list[RecordedEvent]]:
        """Cancel an agreement (decided by its owner), and mirror it at the other party.

        Raises:
            UnknownAgreementError: no such agreement.
            DomainError: the rules refused it (``agreement_not_open``, ...).
        """
        owner = self.owner_of(agreement_id)
        command = CancelAgreement(actor_id, agreement_id, actor_region_id)
        recorded = await self._galaxy.execute_in(owner, command)
        return await self._after_change(agreement_id, recorded)

    def owner_of(self, agreement_id: str) -> int:
        """The id of the region that owns an agreement (the prefix of its id).

        Raises:
            UnknownAgreementError: the id names no agreement.
        """
        agreement = self.find(agreement_id)
        if agreement is None:
            raise UnknownAgreementError(f"no agreement {agreement_id}", agreement_id=agreement_id)
        return agreement.owner_region_id

    def find(self, agreement_id: str) -> Agreement | None:
        """An agreement as its owner holds it, or None.

        Args:
            agreement_id: ``"{owner region id}-{n}"``.
        """
        prefix, _, n = agreement_id.partition("-")
        if not (prefix.isdigit() and n.isdigit()):
            return None
        region = self._galaxy.region_info(int(prefix))
        return None if region is None else region.agreements.get(agreement_id)

    async def _after_change(
        self, agreement_id: str, recorded: list[RecordedEvent]
    ) -> tuple[Agreement, list[RecordedEvent]]:
        agreement = self.find(agreement_id)
        assert agreement is not None
        recorded += await self._mirror_agreement(agreement)
        return agreement, recorded

    async def _mirror_stance(
        self, from_region_id: int, to_region_id: int, stance: Stance
    ) -> list[RecordedEvent]:
        command = MirrorStance(stance.actor_id, from_region_id, dataclasses.replace(stance))
        return await self._deliver(to_region_id, command)

    async def _mirror_agreement(self, agreement: Agreement) -> list[RecordedEvent]:
        command = MirrorAgreement(agreement.proposed_by, dataclasses.replace(agreement))
        return await self._deliver(agreement.other_region_id, command)

    async def _deliver(
        self, region_id: int, command: MirrorStance | MirrorAgreement
    ) -> list[RecordedEvent]:
        engine = self._galaxy.engines.get(region_id)
        if engine is None or engine.status != "running":
            _log.warning("diplomacy.mirror_skipped", region_id=region_id, command=command.name)
            return []
        try:
            return await engine.submit(command)
        except EngineError as exc:  # re-delivered at the next start
            _log.warning(
                "diplomacy.mirror_failed", region_id=region_id, command=command.name, error=str(exc)
            )
            return []

    async def reconcile(self) -> list[RecordedEvent]:
        """Re-deliver every relation whose partner's copy differs from its owner's (start-up).

        Returns:
            The mirror events recorded (empty when every copy matched).
        """
        recorded: list[RecordedEvent] = []
        engines = self._galaxy.engines
        for rid in sorted(engines):
            region = engines[rid].state.region
            for other_id, stance in sorted(region.stances.items()):
                partner = engines.get(other_id)
                if partner is not None and partner.state.region.stances_towards.get(rid) != stance:
                    recorded += await self._mirror_stance(rid, other_id, stance)
            for agreement in sorted(region.agreements.values(), key=lambda a: a.id):
                if agreement.owner_region_id != rid:
                    continue
                partner = engines.get(agreement.other_region_id)
                if partner is None:
                    continue
                if partner.state.region.agreements.get(agreement.id) != agreement:
                    recorded += await self._mirror_agreement(agreement)
        if recorded:
            _log.info("diplomacy.reconciled", mirrors=len(recorded))
        return recorded
