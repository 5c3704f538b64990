"""A region's treasury withdrawal (its governor) and citizenship (any player).

- ``POST /api/v1/regions/{region_id}/treasury/withdraw``: the governor moves credits from the
  treasury to their own credits, wherever they are (the payout saga), audited with role
  ``governor``. 409 ``treasury_insufficient``, 403 ``region_suspended`` (suspended or closed
  region), 403 ``forbidden`` (not its governor), 422 for an amount that is not a positive
  whole number.
- ``POST /api/v1/regions/{region_id}/citizenship``: make the region the caller's home region
  (leaving their former one); a new citizen receives the region's starting credits once, paid
  from its treasury. 403 ``citizenship_refused`` (immigration ``closed``, or ``permit`` without
  a permit), 403 ``region_suspended``, 409 ``treasury_insufficient`` (the treasury cannot pay
  the starting credits: nothing changes). Already a citizen: 200, ``changed`` false.
- ``DELETE /api/v1/regions/{region_id}/citizenship``: give it up (200, ``changed`` false when
  the caller was not a citizen).

Each counts against the caller's game-command rate (429). Permissions come from the one region
dependency (:func:`~starlane.api.region_access.region_caller`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from starlane.api.errors import problem_responses
from starlane.api.region_access import RegionCaller, region_caller
from starlane.api.routes.admin import actor_of
from starlane.api.schemas.treasury import CitizenshipOut, WithdrawalOut, WithdrawRequest
from starlane.audit.treasury import WITHDRAW_ACTION, withdraw
from starlane.engine.citizenship import CitizenshipChange

router = APIRouter(prefix="/api/v1", tags=["regions"])

_PROBLEMS = problem_responses(401, 403, 404, 409, 422, 429, 503)

Governor = Annotated[RegionCaller, region_caller(WITHDRAW_ACTION)]
"""The region's governor (403 ``forbidden`` for anyone else)."""
Citizen = Annotated[RegionCaller, region_caller("region.citizenship.request")]
"""Any authenticated player, for themselves."""


@router.post(
    "/regions/{region_id}/treasury/withdraw",
    response_model=WithdrawalOut,
    responses=_PROBLEMS,
)
async def withdraw_from_treasury(
    request: Request, caller: Governor, body: WithdrawRequest
) -> WithdrawalOut:
    """Withdraw credits from the region's treasury to the governor's own credits (audited)."""
    actor = actor_of(request, caller.principal, role="governor")
    services = caller.services
    await _hit(caller)
    done = await withdraw(services.galaxy, services.uow, actor, caller.region.id, body.amount)
    payout = done.payout
    assert payout.treasury_before is not None and payout.treasury_after is not None
    return WithdrawalOut(
        region_id=caller.region.id,
        amount=payout.amount,
        treasury_before=payout.treasury_before,
        treasury_after=payout.treasury_after,
        transfer_id=payout.transfer_id,
        outcome=payout.outcome,
        audit_index=done.index,
    )


async def _hit(caller: RegionCaller) -> None:
    """Count the request against the caller's command rate (429 ``rate_limited`` over it)."""
    await caller.services.limiter.hit("command", f"player:{caller.principal.account_id}")


def _citizenship_out(caller: RegionCaller, change: CitizenshipChange) -> CitizenshipOut:
    galaxy = caller.services.galaxy
    return CitizenshipOut(
        region_id=change.region_id,
        player_id=change.player_id,
        citizen=change.citizen,
        changed=change.changed,
        home_region_id=galaxy.citizenship.home_of(change.player_id),
        previous_region_id=change.previous_region_id,
        starting_credits=change.starting_credits,
        payout_outcome=change.payout_outcome,
    )


@router.post(
    "/regions/{region_id}/citizenship",
    response_model=CitizenshipOut,
    responses=_PROBLEMS,
)
async def request_citizenship(caller: Citizen) -> CitizenshipOut:
    """Make this region the caller's home region (starting credits paid once, from its
    treasury)."""
    galaxy = caller.services.galaxy
    await _hit(caller)
    change = await galaxy.citizenship.request(caller.region.id, caller.principal.account_id)
    return _citizenship_out(caller, change)


@router.delete(
    "/regions/{region_id}/citizenship",
    response_model=CitizenshipOut,
    responses=_PROBLEMS,
)
async def renounce_citizenship(caller: Citizen) -> CitizenshipOut:
    """Give up citizenship of this region."""
    galaxy = caller.services.galaxy
    await _hit(caller)
    change = await galaxy.citizenship.renounce(caller.region.id, caller.principal.account_id)
    return _citizenship_out(caller, change)
