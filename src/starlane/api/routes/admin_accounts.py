"""The admin API's account and approval routes (``/api/v1/admin/accounts``, ``/approvals``).

Same rules as :mod:`starlane.api.routes.admin` (admins only, read from the database on every
request; every change audited; 202 for a change under the two-person rule), whose
dependencies and helpers these routes share.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.api.routes.admin import (
    ACTION_RESPONSES,
    PROBLEMS,
    AdminCaller,
    actions_of,
    actor_of,
    answer,
    cursor_value,
)
from starlane.api.schemas.admin import (
    ActionDone,
    AdminAccountDetail,
    AdminAccountOut,
    AdminAccountPage,
    AdminPlayerOut,
    ApprovalOut,
    ApprovalPage,
    CreditsRequest,
    Justified,
    MembershipRequest,
    RolesRequest,
)
from starlane.api.services import Services
from starlane.domain.data import Membership
from starlane.domain.membership import MembershipTerms
from starlane.store.accounts import Account
from starlane.store.admin_accounts import search_accounts
from starlane.store.audit_reads import list_approvals
from starlane.store.membership import terms_of

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

AccountId = Annotated[int, Path(ge=1, description="the account's id")]
"""An account id as a path parameter."""


# --- accounts --------------------------------------------------------------------------------
def _account_out(account: Account, terms: MembershipTerms | None, now: float) -> AdminAccountOut:
    if terms is None:
        terms = MembershipTerms(Membership(account.membership))
    return AdminAccountOut(
        id=account.id,
        username=account.username,
        roles=list(account.roles),
        membership=terms.api_tier(now),
        membership_stored=str(terms.tier),
        membership_expires_at=terms.expires_at,
        membership_grace_until=terms.grace_until,
        membership_source=str(terms.source),
        region_id=account.region_id,
        created_at=account.created_at,
        disabled=account.disabled,
    )


@router.get("/accounts", response_model=AdminAccountPage, responses=PROBLEMS)
async def accounts_list(
    caller: AdminCaller,
    name: Annotated[str | None, Query(max_length=24)] = None,
    role: Annotated[str | None, Query(max_length=24)] = None,
    membership: Annotated[str | None, Query(max_length=24)] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AdminAccountPage:
    """Accounts in id order, searched by name (substring), role and membership (the tier in
    force now: ``galactic_citizen`` or ``free``; a lapsed Galactic Citizen is ``free``)."""
    services = caller[1]
    now = services.clock()
    found = await search_accounts(
        services.db,
        name=name,
        role=role,
        membership=membership,
        after_id=cursor_value(cursor) or 0,
        limit=limit + 1,
        now=now,
    )
    page = found[:limit]
    terms = await terms_of(services.db, [a.id for a in page])
    items = [_account_out(a, terms.get(a.id), now) for a in page]
    more = len(found) > limit
    return AdminAccountPage(items=items, next_cursor=str(items[-1].id) if more else None)


@router.get("/accounts/{account_id}", response_model=AdminAccountDetail, responses=PROBLEMS)
async def accounts_get(caller: AdminCaller, account_id: AccountId) -> AdminAccountDetail:
    """An account and its player's state."""
    services = caller[1]
    account = await services.accounts.get(account_id)
    if account is None:
        raise ApiError(404, "account_not_found", f"no account {account_id}")
    now = services.clock()
    terms = (await terms_of(services.db, [account_id])).get(account_id)
    p = services.galaxy.player(account_id)
    player = (
        None
        if p is None
        else AdminPlayerOut(
            region_id=p.region_id,
            sector_id=p.sector_id,
            credits=p.credits,
            turns=p.turns,
            ship_type=p.ship.type,
            membership=str(p.membership),
        )
    )
    return AdminAccountDetail(account=_account_out(account, terms, now), player=player)


async def _disable(
    request: Request,
    caller: tuple[Principal, Services],
    account_id: AccountId,
    body: Justified,
    on: bool,
) -> ActionDone | JSONResponse:
    principal, services = caller
    outcome = await actions_of(services).set_disabled(
        actor_of(request, principal), account_id, on, body.justification
    )
    return answer(outcome)


@router.post(
    "/accounts/{account_id}/disable", response_model=ActionDone, responses=ACTION_RESPONSES
)
async def accounts_disable(
    request: Request, caller: AdminCaller, account_id: AccountId, body: Justified
) -> ActionDone | JSONResponse:
    """Disable an account: its access tokens are refused from the next request."""
    return await _disable(request, caller, account_id, body, True)


@router.post("/accounts/{account_id}/enable", response_model=ActionDone, responses=ACTION_RESPONSES)
async def accounts_enable(
    request: Request, caller: AdminCaller, account_id: AccountId, body: Justified
) -> ActionDone | JSONResponse:
    """Enable a disabled account again."""
    return await _disable(request, caller, account_id, body, False)


@router.post("/accounts/{account_id}/roles", response_model=ActionDone, responses=ACTION_RESPONSES)
async def accounts_roles(
    request: Request, caller: AdminCaller, account_id: AccountId, body: RolesRequest
) -> ActionDone | JSONResponse:
    """Grant and revoke roles (the admin role needs a second admin by default)."""
    principal, services = caller
    outcome = await actions_of(services).change_roles(
        actor_of(request, principal), account_id, body.grant, body.revoke, body.justification
    )
    return answer(outcome)


@router.post(
    "/accounts/{account_id}/membership", response_model=ActionDone, responses=ACTION_RESPONSES
)
async def accounts_membership(
    request: Request, caller: AdminCaller, account_id: AccountId, body: MembershipRequest
) -> ActionDone | JSONResponse:
    """Set the membership tier and its end (RFC 3339, or null for none)."""
    principal, services = caller
    expires = None if body.expires_at is None else body.expires_at.timestamp()
    outcome = await actions_of(services).change_membership(
        actor_of(request, principal), account_id, body.tier, expires, body.justification
    )
    return answer(outcome)


@router.post(
    "/accounts/{account_id}/credits", response_model=ActionDone, responses=ACTION_RESPONSES
)
async def accounts_credits(
    request: Request, caller: AdminCaller, account_id: AccountId, body: CreditsRequest
) -> ActionDone | JSONResponse:
    """Adjust a player's credits (an engine command; large ones need a second admin)."""
    principal, services = caller
    outcome = await actions_of(services).adjust_credits(
        actor_of(request, principal), account_id, body.delta, body.justification
    )
    return answer(outcome)


# --- approvals -------------------------------------------------------------------------------
@router.get("/approvals", response_model=ApprovalPage, responses=PROBLEMS)
async def approvals_list(
    caller: AdminCaller,
    status: Literal["pending", "approved", "rejected"] | None = "pending",
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ApprovalPage:
    """Two-person-rule requests in the order they were made (pending ones by default)."""
    after = cursor_value(cursor)
    found = await list_approvals(
        caller[1].db,
        status=status,
        after=None if after is None else str(after),
        limit=limit + 1,
    )
    items = [
        ApprovalOut(
            approval_id=a.id,
            action=a.action,
            target_kind=a.target_kind,
            target_id=a.target_id,
            params=a.params,
            justification=a.justification,
            requested_by=a.requested_by,
            requested_at=a.requested_at,
            status=a.status,
            decided_by=a.decided_by,
            decided_at=a.decided_at,
            decision_justification=a.decision_justification,
            request_entry=a.request_entry,
        )
        for a in found[:limit]
    ]
    more = len(found) > limit
    return ApprovalPage(items=items, next_cursor=str(items[-1].request_entry) if more else None)


@router.post(
    "/approvals/{approval_id}/approve", response_model=ActionDone, responses=ACTION_RESPONSES
)
async def approvals_approve(
    request: Request, caller: AdminCaller, approval_id: str, body: Justified
) -> ActionDone:
    """Approve another admin's request; the action runs now (403 ``self_approval``)."""
    principal, services = caller
    done = await actions_of(services).approve(
        actor_of(request, principal), approval_id, body.justification
    )
    return ActionDone(index=done.index, before=done.before, after=done.after)


@router.post(
    "/approvals/{approval_id}/reject", response_model=ActionDone, responses=ACTION_RESPONSES
)
async def approvals_reject(
    request: Request, caller: AdminCaller, approval_id: str, body: Justified
) -> ActionDone:
    """Reject a request, with a justification."""
    principal, services = caller
    done = await actions_of(services).reject(
        actor_of(request, principal), approval_id, body.justification
    )
    return ActionDone(index=done.index, before=done.before, after=done.after)
