"""The one dependency that decides every region-scoped permission.

A governance route declares the action it performs and receives a :class:`RegionCaller`::

    Governor = Annotated[RegionCaller, region_caller("region.policies.change")]

    @router.patch("/regions/{region_id}/policies")
    async def change_policies(caller: Governor, body: PolicyChange): ...

The dependency authenticates the caller through
:func:`~starlane.api.deps.current_principal` (401 as every route; the OpenAPI document
declares the bearer token on these operations), finds the region (404
``unknown_region``), works out the caller's roles there
(:func:`starlane.domain.governance.region_roles`: the account's platform roles, the region's
governor and citizens, its appointed moderators) and refuses with 403 ``forbidden`` unless
:data:`starlane.domain.governance.REGION_RIGHTS` lets one of those roles take the action. No
route checks roles by hand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Path, Request

from starlane.api.auth import Principal
from starlane.api.deps import current_principal, get_services
from starlane.api.errors import ApiError
from starlane.api.services import Services
from starlane.domain.governance import REGION_RIGHTS, RegionRole, may, region_roles
from starlane.domain.model import Region
from starlane.store.region_moderators import moderators_of

__all__ = ["RegionCaller", "RegionId", "authorize", "region_caller"]

RegionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the region's id")]
"""The ``{region_id}`` path parameter of the region routes."""


class RegionCaller(NamedTuple):
    """An authenticated caller allowed to take an action in a region.

    Attributes:
        principal: the caller.
        services: the app's services.
        region: the region (live, read-only).
        roles: the caller's roles in the region.
    """

    principal: Principal
    services: Services
    region: Region
    roles: frozenset[RegionRole]


def region_caller(action: str) -> Any:
    """A FastAPI dependency admitting callers who may take ``action`` in the path's region.

    Args:
        action: a key of :data:`~starlane.domain.governance.REGION_RIGHTS`.

    Returns:
        ``Depends(...)`` of a dependency that returns a :class:`RegionCaller` and raises
        :class:`~starlane.api.errors.ApiError` 401 (no or bad token), 404 ``unknown_region``
        or 403 ``forbidden`` (with the roles that may act in the problem's context).

    Raises:
        KeyError: ``action`` is not in the table (a programming error, at import time).
    """
    REGION_RIGHTS[action]

    async def dependency(
        request: Request,
        principal: Annotated[Principal, Depends(current_principal)],
        region_id: RegionId,
    ) -> RegionCaller:
        return await authorize(get_services(request), principal, region_id, action)

    call: Callable[[Request, Principal, int], Awaitable[RegionCaller]] = dependency
    return Depends(call)


async def authorize(
    services: Services, principal: Principal, region_id: int, action: str
) -> RegionCaller:
    """Decide whether a caller may take ``action`` in a region (the dependency's decision,
    for routes whose region comes from the resource rather than the path, such as an
    agreement's parties).

    Args:
        services: the app's services.
        principal: the authenticated caller.
        region_id: the region.
        action: a key of :data:`~starlane.domain.governance.REGION_RIGHTS`.

    Returns:
        The caller with their roles in the region.

    Raises:
        ApiError: 404 ``unknown_region``, 403 ``forbidden`` (with the roles that may act).
    """
    allowed = REGION_RIGHTS[action]
    region = services.galaxy.region_info(region_id)
    if region is None:
        raise ApiError(404, "unknown_region", f"no region {region_id}")
    moderators = await moderators_of(services.db, region_id)
    roles = region_roles(principal.account_id, principal.roles, region, moderators)
    if not may(action, roles):
        raise ApiError(
            403,
            "forbidden",
            f"{action} in region {region.name} needs one of these roles: "
            + ", ".join(sorted(allowed)),
            context={"action": action, "allowed_roles": sorted(allowed)},
        )
    return RegionCaller(principal, services, region, roles)
