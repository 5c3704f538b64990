"""Diplomacy between regions: stances and trade agreements (``/api/v1/regions/{id}/...``,
``/api/v1/agreements/{id}``).

=======  =====================================  ===================================  =========
method   path                                   who                                  answers
=======  =====================================  ===================================  =========
PUT      ``/regions/{id}/stances/{other_id}``   the region's governor                stance
POST     ``/regions/{id}/agreements``           the region's governor (proposes)     201
GET      ``/regions/{id}/agreements``           any player                           a page
GET      ``/agreements/{id}``                   any player                           agreement
POST     ``/agreements/{id}/accept``            the other region's governor          agreement
POST     ``/agreements/{id}/cancel``            either region's governor             agreement
=======  =====================================  ===================================  =========

The region-scoped routes take their caller from :func:`~starlane.api.region_access.region_caller`;
accepting and cancelling decide the caller's rights in the agreement's parties with the same
decision (:func:`~starlane.api.region_access.authorize`). Every change is a command to the
engine of the region that owns the relation, mirrored at the other region
(:class:`~starlane.engine.diplomacy.Diplomacy`), and audited on both sides
(:func:`~starlane.audit.diplomacy.audit_diplomacy_events`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from starlane.api.deps import CurrentPrincipal, ServicesDep
from starlane.api.errors import ApiError, problem_responses
from starlane.api.region_access import RegionCaller, RegionId, authorize, region_caller
from starlane.api.routes.admin import actor_of
from starlane.api.schemas.diplomacy import (
    AgreementOut,
    AgreementPage,
    AgreementRequest,
    StanceOut,
    StanceRequest,
)
from starlane.api.services import Services
from starlane.audit.diplomacy import audit_diplomacy_events
from starlane.domain.diplomacy import UnknownAgreementError
from starlane.domain.errors import RegionSuspendedError
from starlane.domain.events import RecordedEvent
from starlane.domain.model import Agreement, Region
from starlane.domain.reads.diplomacy import agreement_key, agreement_view

router = APIRouter(prefix="/api/v1", tags=["diplomacy"])

Governor = Annotated[RegionCaller, region_caller("region.diplomacy.change")]
Reader = Annotated[RegionCaller, region_caller("region.agreements.list")]

OtherRegionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the other region's id")]
AgreementId = Annotated[
    str,
    Path(
        pattern=r"^[0-9]{1,10}-[0-9]{1,10}$",
        description="the agreement's id, `{owner_region_id}-{n}`",
    ),
]

PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 409, 422, 429)
"""401 no token; 403 ``forbidden`` (not the governor who may act), ``not_governor`` or
``region_suspended``; 404 ``unknown_region`` or ``unknown_agreement``; 409
``agreement_exists`` or ``agreement_not_open``; 422 ``same_region``, ``invalid_stance`` or
``validation_error``; 429 ``rate_limited``."""

_DIPLOMACY = "region.diplomacy.change"


async def _limit(services: Services, account_id: int) -> None:
    await services.limiter.hit("command", f"player:{account_id}")


def _active(region: Region) -> None:
    if region.status != "active":
        raise RegionSuspendedError(
            f"region {region.name} is {region.status}", region_id=region.id, status=region.status
        )


def _agreement_out(services: Services, agreement: Agreement) -> AgreementOut:
    return AgreementOut.model_validate(agreement_view(agreement, services.clock()))


async def _audit(
    request: Request, services: Services, principal: Any, recorded: list[RecordedEvent]
) -> None:
    await audit_diplomacy_events(services.uow, recorded, actor_of(request, principal, "governor"))


# --- stances ---------------------------------------------------------------------------------
@router.put(
    "/regions/{region_id}/stances/{other_id}",
    response_model=StanceOut,
    responses=PROBLEMS,
    summary="Set the region's stance towards another (its governor)",
)
async def set_stance(
    request: Request,
    caller: Governor,
    region_id: RegionId,
    other_id: OtherRegionId,
    body: StanceRequest,
) -> StanceOut:
    """Allied, neutral or hostile towards another region; a hostile region may refuse entry
    to the other's citizens (their next gate passage into this region answers 403
    ``hostile_region``). Setting the stance held already changes nothing. Recorded in both
    regions and audited on both sides."""
    services = caller.services
    await _limit(services, caller.principal.account_id)
    recorded = await services.galaxy.diplomacy.set_stance(
        region_id, caller.principal.account_id, other_id, body.stance, body.refuse_entry
    )
    await _audit(request, services, caller.principal, recorded)
    region = services.galaxy.region_info(region_id) or caller.region
    held = region.stances.get(other_id)
    return StanceOut(
        region_id=region_id,
        other_region_id=other_id,
        stance=body.stance if held is None else held.stance,
        refuse_entry=body.refuse_entry if held is None else held.refuse_entry,
        set_at=services.clock() if held is None else held.at,
    )


# --- agreements ------------------------------------------------------------------------------
@router.post(
    "/regions/{region_id}/agreements",
    response_model=AgreementOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Propose a trade agreement to another region (the governor)",
)
async def propose_agreement(
    request: Request, caller: Governor, region_id: RegionId, body: AgreementRequest
) -> AgreementOut:
    """Propose percentages off the gate toll and the trade tax for each other's citizens, for
    ``days`` days from acceptance. The proposing region owns the agreement; the other
    region's governor accepts it. 409 ``agreement_exists`` while the two have one proposed or
    in force."""
    services = caller.services
    await _limit(services, caller.principal.account_id)
    agreement, recorded = await services.galaxy.diplomacy.propose(
        region_id,
        caller.principal.account_id,
        body.other_region_id,
        body.toll_discount_pct,
        body.tax_discount_pct,
        body.days,
    )
    await _audit(request, services, caller.principal, recorded)
    return _agreement_out(services, agreement)


@router.get(
    "/regions/{region_id}/agreements",
    response_model=AgreementPage,
    responses=PROBLEMS,
    summary="The region's trade agreements",
)
async def list_agreements(
    caller: Reader,
    region_id: RegionId,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{1,10}-[0-9]{1,10}$", description="next_cursor of the last page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AgreementPage:
    """Every agreement the region is a party to (proposed, active, expired, cancelled), by
    id, a page at a time."""
    services = caller.services
    await _limit(services, caller.principal.account_id)
    after = agreement_key(cursor) if cursor else (0, 0)
    ids = sorted(
        (k for k in (agreement_key(i) for i in caller.region.agreements) if k > after),
    )
    page = ids[:limit]
    more = len(ids) > limit
    items = [
        _agreement_out(services, caller.region.agreements[f"{owner}-{n}"]) for owner, n in page
    ]
    return AgreementPage(
        region_id=region_id,
        items=items,
        next_cursor=f"{page[-1][0]}-{page[-1][1]}" if more and page else None,
    )


def _find(services: Services, agreement_id: str) -> Agreement:
    agreement = services.galaxy.diplomacy.find(agreement_id)
    if agreement is None:
        raise UnknownAgreementError(f"no agreement {agreement_id}", agreement_id=agreement_id)
    return agreement


@router.get(
    "/agreements/{agreement_id}",
    response_model=AgreementOut,
    responses=PROBLEMS,
    summary="A trade agreement",
)
async def get_agreement(
    principal: CurrentPrincipal, services: ServicesDep, agreement_id: AgreementId
) -> AgreementOut:
    """An agreement as its owner holds it; ``status`` is ``expired`` once past
    ``expires_at``."""
    await _limit(services, principal.account_id)
    return _agreement_out(services, _find(services, agreement_id))


@router.post(
    "/agreements/{agreement_id}/accept",
    response_model=AgreementOut,
    responses=PROBLEMS,
    summary="Accept a trade agreement (the other region's governor)",
)
async def accept_agreement(
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    agreement_id: AgreementId,
) -> AgreementOut:
    """The governor of the region the agreement was proposed to accepts it: it applies from
    now for its ``days``. 409 ``agreement_not_open`` unless it is ``proposed``."""
    await _limit(services, principal.account_id)
    agreement = _find(services, agreement_id)
    caller = await authorize(services, principal, agreement.other_region_id, _DIPLOMACY)
    _active(caller.region)
    after, recorded = await services.galaxy.diplomacy.accept(
        agreement_id, principal.account_id, caller.region.id
    )
    await _audit(request, services, principal, recorded)
    return _agreement_out(services, after)


@router.post(
    "/agreements/{agreement_id}/cancel",
    response_model=AgreementOut,
    responses=PROBLEMS,
    summary="Cancel a trade agreement (either region's governor)",
)
async def cancel_agreement(
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    agreement_id: AgreementId,
) -> AgreementOut:
    """The governor of either region ends a proposed or active agreement; it stops applying
    at once. 409 ``agreement_not_open`` when it is cancelled or expired already."""
    await _limit(services, principal.account_id)
    agreement = _find(services, agreement_id)
    refused: ApiError | None = None
    caller: RegionCaller | None = None
    for region_id in (agreement.owner_region_id, agreement.other_region_id):
        try:
            caller = await authorize(services, principal, region_id, _DIPLOMACY)
            break
        except ApiError as exc:
            refused = refused or exc
    if caller is None:
        assert refused is not None
        raise refused
    _active(caller.region)
    after, recorded = await services.galaxy.diplomacy.cancel(
        agreement_id, principal.account_id, caller.region.id
    )
    await _audit(request, services, principal, recorded)
    return _agreement_out(services, after)
