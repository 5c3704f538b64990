"""The operator's admin API (``/api/v1/admin``): the audit log, accounts, approvals.

Every route needs an admin: the caller's access token, and the account as stored now (so a
revoked admin role or a disabled account takes effect on the next request, whatever the
token says); players and governors get 403 ``forbidden``. Every change is an
:class:`~starlane.audit.actions.AdminActions` call, which records it in the audit log with
the caller's address, User-Agent and request id; an action under the two-person rule answers
202 with ``{"approval_id", "status": "pending"}``.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
import structlog
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from starlane.api.auth import Principal
from starlane.api.deps import client_ip, get_services, require_admin
from starlane.api.errors import ApiError
from starlane.api.schemas.admin import (
    ActionDone,
    ActionPending,
    AuditEntryOut,
    AuditPage,
    ConsistencyProofOut,
    InclusionProofOut,
    Justified,
)
from starlane.api.services import Services
from starlane.audit.actions import Actor, AdminActions, Done, Outcome
from starlane.audit.checkpoint import CHECKPOINT_FILE, read_checkpoint_file
from starlane.audit.leaf import format_time
from starlane.audit.log import (
    ProofError,
    stored_consistency_proof,
    stored_inclusion_proof,
)
from starlane.store.accounts import Account
from starlane.store.audit import AuditFilter, StoredEntry
from starlane.store.audit_reads import (
    get_entry,
    iter_entries,
    latest_checkpoint,
    log_size,
    reverted_by,
    search_entries,
    stored_entry,
)

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    403: {"description": "not an admin (``forbidden``), or ``self_approval``"},
    404: {"description": "no such account, entry or approval"},
    409: {"description": "refused in the current state (``already_reverted``, decided)"},
    422: {"description": "invalid input, ``justification_required``"},
}

EntryIndex = Annotated[int, Path(ge=0, description="the entry's index in the log (0, 1, 2...)")]
"""An audit entry's index as a path parameter (the route matches digits only)."""


async def require_stored_admin(
    request: Request, principal: Annotated[Principal, Depends(require_admin)]
) -> tuple[Principal, Services]:
    """The caller, who must be an enabled admin according to the database now.

    Args:
        request: the request.
        principal: the caller, whose token says admin.

    Returns:
        ``(principal, services)``.

    Raises:
        ApiError: 401 for a missing or bad token; 403 ``forbidden`` for a non-admin.
    """
    services = get_services(request)
    account = await services.accounts.get(principal.account_id)
    if account is None or account.disabled or "admin" not in account.roles:
        raise ApiError(403, "forbidden", "this needs the admin role")
    return principal, services


AdminCaller = Annotated[tuple[Principal, Services], Depends(require_stored_admin)]


def actor_of(request: Request, principal: Principal | None, role: str = "admin") -> Actor:
    """Who acts and where from, for the audit entry.

    Args:
        request: the request.
        principal: the caller (None: the system).
        role: the role acted in.

    Returns:
        The actor.
    """
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return Actor(
        None if principal is None else principal.account_id,
        role,
        client_ip(request),
        request.headers.get("user-agent"),
        None if request_id is None else str(request_id),
    )


async def record_login_refused(request: Request, services: Services, account: Account) -> None:
    """Audit a login refused because the account is disabled (a security event).

    Args:
        request: the login request.
        services: the app's services.
        account: the disabled account.
    """
    actor = actor_of(request, None, "system")
    async with services.uow() as uow:
        await uow.audit.append(
            actor_id=account.id,
            actor_role="player",
            action="login.refused_disabled",
            target_kind="account",
            target_id=str(account.id),
            before=None,
            after=None,
            justification="",
            client_address=actor.client_address,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        )


def actions_of(services: Services) -> AdminActions:
    """The app's admin actions.

    Args:
        services: the app's services.

    Returns:
        The actions.

    Raises:
        ApiError: 503 before the app has started them.
    """
    actions = services.admin
    if actions is None:
        raise ApiError(503, "engine_unavailable", "the server is starting")
    return actions


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _entry_out(stored: StoredEntry, reverted_by: int | None = None) -> AuditEntryOut:
    e = stored.entry
    return AuditEntryOut(
        index=e.index,
        time=format_time(e.time),
        actor_id=e.actor_id,
        actor_role=e.actor_role,
        action=e.action,
        target_kind=e.target_kind,
        target_id=e.target_id,
        before=e.before,
        after=e.after,
        justification=e.justification,
        client_address=e.client_address,
        user_agent=e.user_agent,
        request_id=e.request_id,
        reverts=e.reverts,
        leaf=_b64(stored.leaf),
        leaf_hash=_b64(stored.leaf_hash),
        reverted_by=reverted_by,
    )


def answer(outcome: Outcome) -> ActionDone | JSONResponse:
    """The answer to an action: 200 with its entry, or 202 when it waits for a second admin.

    Args:
        outcome: what the action did.

    Returns:
        The response model or a 202 response.
    """
    if isinstance(outcome, Done):
        return ActionDone(index=outcome.index, before=outcome.before, after=outcome.after)
    body = ActionPending(approval_id=outcome.approval_id, index=outcome.index)
    return JSONResponse(body.model_dump(), status_code=202)


def cursor_value(value: str | None) -> int | None:
    """A page cursor this API gave (a decimal number).

    Args:
        value: the ``cursor`` query parameter.

    Returns:
        The number, or None for the first page.

    Raises:
        ApiError: 422 ``invalid_cursor``.
    """
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ApiError(422, "invalid_cursor", "the cursor is not one this API gave")
    return int(value)


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    202: {"model": ActionPending, "description": "waiting for a second admin"},
}


# --- the audit log ---------------------------------------------------------------------------
@router.get("/audit", response_model=AuditPage, responses=PROBLEMS, summary="Search the log")
async def audit_list(
    caller: AdminCaller,
    actor_id: int | None = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_kind: Annotated[str | None, Query(max_length=100)] = None,
    target_id: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """Entries newest first, filtered by actor, action, target, time (``since`` inclusive,
    ``until`` exclusive, RFC 3339) and a text in the justification (``q``)."""
    f = AuditFilter(
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        since=None if since is None else since.timestamp(),
        until=None if until is None else until.timestamp(),
        q=q,
    )
    found = await search_entries(caller[1].db, f, before=cursor_value(cursor), limit=limit + 1)
    items = [_entry_out(s) for s in found[:limit]]
    more = len(found) > limit
    return AuditPage(items=items, next_cursor=str(items[-1].index) if more else None)


@router.get(
    "/audit/checkpoint",
    response_class=PlainTextResponse,
    responses={**PROBLEMS, 404: {"description": "no checkpoint yet"}},
    summary="The latest signed checkpoint",
)
async def audit_checkpoint(caller: AdminCaller) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), as text."""
    services = caller[1]
    latest = await latest_checkpoint(services.db)
    if latest is None:
        notes = read_checkpoint_file(services.settings.data_dir / CHECKPOINT_FILE)
        if not notes:
            raise ApiError(404, "no_checkpoint", "no checkpoint was signed yet")
        return PlainTextResponse(notes[-1])
    return PlainTextResponse(latest[1])


@router.get(
    "/audit/verifier-key",
    response_class=PlainTextResponse,
    responses=PROBLEMS,
    summary="The log's verifier key",
)
async def audit_verifier_key(caller: AdminCaller) -> PlainTextResponse:
    """The verifier key: ``<origin>+<key id>+<base64(0x01 || public key)>``."""
    checkpointer = caller[1].checkpointer
    if checkpointer is None:
        raise ApiError(503, "engine_unavailable", "the audit checkpointer is not running")
    return PlainTextResponse(checkpointer.verifier_key + "\n")


@router.get(
    "/audit/consistency",
    response_model=ConsistencyProofOut,
    responses=PROBLEMS,
    summary="Consistency proof",
)
async def audit_consistency(
    caller: AdminCaller,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int, Query(ge=0)],
) -> ConsistencyProofOut:
    """The RFC 9162 consistency proof between tree sizes ``first <= second <= size``."""
    db = caller[1].db
    size = await log_size(db)
    if first > second or second > size:
        raise ApiError(422, "invalid_tree_size", f"need first <= second <= {size}")
    try:
        hashes = await stored_consistency_proof(db, first, second)
    except ProofError as exc:
        raise ApiError(409, "audit_log_damaged", str(exc)) from None
    return ConsistencyProofOut(first=first, second=second, hashes=[_b64(h) for h in hashes])


@router.get("/audit/export", responses=PROBLEMS, summary="Export the log")
async def audit_export(
    caller: AdminCaller, format: Literal["jsonl", "csv"] = "jsonl"
) -> StreamingResponse:
    """Every entry in index order, streamed: JSON lines (each with ``index`` and base64
    ``leaf``) or CSV."""
    db = caller[1].db

    async def jsonl() -> AsyncIterator[bytes]:
        async for row in iter_entries(db):
            out = _entry_out(stored_entry(row)).model_dump(exclude={"reverted_by"})
            yield msgspec.json.encode(out) + b"\n"

    columns = [f for f in AuditEntryOut.model_fields if f != "reverted_by"]

    async def csv_rows() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        async for row in iter_entries(db):
            out = _entry_out(stored_entry(row)).model_dump()
            writer.writerow(
                [
                    msgspec.json.encode(out[c]).decode() if c in ("before", "after") else out[c]
                    for c in columns
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    if format == "csv":
        return StreamingResponse(csv_rows(), media_type="text/csv")
    return StreamingResponse(jsonl(), media_type="application/jsonl")


@router.get(
    "/audit/{index:int}",
    response_model=AuditEntryOut,
    responses={**PROBLEMS, 404: {"description": "no such entry"}},
    summary="One entry",
)
async def audit_entry(caller: AdminCaller, index: EntryIndex) -> AuditEntryOut:
    """The entry, with ``leaf`` (base64 of its exact leaf bytes) and who reverted it."""
    services = caller[1]
    stored = await get_entry(services.db, index)
    if stored is None:
        raise ApiError(404, "audit_entry_not_found", f"no audit entry {index}")
    return _entry_out(stored, await reverted_by(services.db, index))


@router.get(
    "/audit/{index:int}/proof",
    response_model=InclusionProofOut,
    responses=PROBLEMS,
    summary="Inclusion proof",
)
async def audit_proof(
    caller: AdminCaller, index: EntryIndex, tree_size: Annotated[int, Query(ge=1)]
) -> InclusionProofOut:
    """The RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    db = caller[1].db
    size = await log_size(db)
    if not 0 <= index < tree_size <= size:
        raise ApiError(422, "invalid_tree_size", f"need 0 <= index < tree_size <= {size}")
    try:
        hashes = await stored_inclusion_proof(db, index, tree_size)
    except ProofError as exc:
        raise ApiError(409, "audit_log_damaged", str(exc)) from None
    return InclusionProofOut(index=index, tree_size=tree_size, hashes=[_b64(h) for h in hashes])


@router.post(
    "/audit/{index:int}/revert",
    response_model=ActionDone,
    responses=ACTION_RESPONSES,
    summary="Revert an action",
)
async def audit_revert(
    request: Request, caller: AdminCaller, index: EntryIndex, body: Justified
) -> ActionDone | JSONResponse:
    """Undo a reversible action as a new entry pointing at it (409 ``already_reverted``)."""
    principal, services = caller
    actor = actor_of(request, principal)
    return answer(await actions_of(services).revert(actor, index, body.justification))


__all__ = [
    "ACTION_RESPONSES",
    "PROBLEMS",
    "AdminCaller",
    "actions_of",
    "actor_of",
    "answer",
    "cursor_value",
    "record_login_refused",
    "require_stored_admin",
    "router",
]
