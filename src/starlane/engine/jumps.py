"""Warp Jumper jumps through the engines: in one region, or to another through the gate saga.

A jump to a sector of the player's own region is one command of that region's engine
(:class:`~starlane.domain.jumps.Jump` -> ``PlayerJumped``). A jump to another region's sector
is the gate saga's (:mod:`starlane.engine.saga`) with a different first step: the engine
decides the jump on the source's state first without recording it (so the jump's own
refusals, ``not_a_jumper``, ``jump_cooldown``, ``out_of_jump_range``, ``insufficient_fuel``,
come before the destination's), checks the destination's admission (``immigration_refused``,
``region_suspended``, nothing paid), then submits the jump with the destination's coordinates
and a new transfer id (``JumpDeparted`` + ``TransferDeparted``) and lets the saga deliver the
arrival (``TransferArrived``, with ``RegionFirstVisited`` when the bonus is paid) and settle.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlane.domain.errors import RegionSuspendedError, UnknownSectorError
from starlane.domain.events import RecordedEvent
from starlane.domain.jumps import Jump, decide_jump
from starlane.domain.travel import check_admission
from starlane.engine.diplomacy import home_region
from starlane.engine.errors import PlayerNotFoundError

if TYPE_CHECKING:
    from starlane.engine.router import GalaxyService

__all__ = ["jump"]


async def jump(service: GalaxyService, command: Jump) -> list[RecordedEvent]:
    """Jump a player to ``command.to_sector_id``, wherever it is in the galaxy.

    Args:
        service: the galaxy service (engines, directory, saga, clock).
        command: the jump as the player asked it (``to_sector_id`` only).

    Returns:
        The recorded events: ``player_jumped`` inside the region; ``jump_departed``,
        ``transfer_departed``, ``transfer_arrived`` (and ``region_first_visited``) across.

    Raises:
        UnknownSectorError: no region holds the sector (``unknown_sector``).
        DomainError: the jump or the destination refused it; nothing changed (a refusal on
            arrival puts the player back where they jumped from, fuel burned).
        EngineError: an engine could not take a step.
    """
    player_id = command.player_id
    where = service.directory.locate(player_id)
    if where is None:
        raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")
    source = service.engine(where[0])
    target = service.sector_region(command.to_sector_id)
    if target is None:
        raise UnknownSectorError(
            f"sector {command.to_sector_id} does not exist", sector_id=command.to_sector_id
        )
    if target.region_id == source.region_id:
        return await source.submit(command)
    destination = service.engines.get(target.region_id)
    sector = target.sectors[command.to_sector_id]
    across = Jump(
        player_id,
        command.to_sector_id,
        target.region_id,
        (sector.x, sector.y, sector.z),
        uuid.uuid4().hex,
        command.citizen,
    )
    decide_jump(source.state, across, service.now(), None)  # the jump's own refusals first
    region = target.region
    if destination is None or (region.closed and destination.status == "stopped"):
        raise RegionSuspendedError(
            f"region {region.name} admits no one", region_id=region.id, status=region.status
        )
    check_admission(region, player_id, home_region(service.engines, region, player_id))
    departed = await source.submit(across)
    arrived = await service.saga.deliver(source, destination, across.transfer_id)
    return departed + arrived
