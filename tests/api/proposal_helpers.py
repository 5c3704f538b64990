"""Helpers of the proposal tests: citizens made over HTTP, proposals, votes, the close."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.conftest import register

DAY = 86_400.0


async def citizens(c: httpx.AsyncClient, region_id: int, names: list[str]) -> list[dict[str, Any]]:
    """Register players and make each a citizen of ``region_id`` through the API.

    Returns:
        ``{"id", "headers"}`` per player, in order.
    """
    out: list[dict[str, Any]] = []
    for name in names:
        body = await register(c, name)
        who = {"id": body["account"]["id"], "headers": body["headers"]}
        r = await c.post(f"/api/v1/regions/{region_id}/citizenship", headers=who["headers"])
        assert r.status_code == 200, r.text
        out.append(who)
    return out


async def propose(
    c: httpx.AsyncClient, region_id: int, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    """POST a proposal."""
    return await c.post(f"/api/v1/regions/{region_id}/proposals", json=body, headers=headers)


async def vote(
    c: httpx.AsyncClient, proposal_id: int, headers: dict[str, str], choice: str
) -> httpx.Response:
    """POST a vote."""
    return await c.post(
        f"/api/v1/proposals/{proposal_id}/votes", json={"choice": choice}, headers=headers
    )


async def wait_closed(
    app: FastAPI, c: httpx.AsyncClient, proposal_id: int, headers: dict[str, str]
) -> dict[str, Any]:
    """Wake the board's timer and wait (at most 5 s) until the proposal is closed."""
    app.state.services.proposals.wake()
    for _ in range(500):
        r = await c.get(f"/api/v1/proposals/{proposal_id}", headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["state"] != "open":
            return body
        await asyncio.sleep(0.01)
    raise AssertionError(f"proposal {proposal_id} did not close")


def make_app(factory: Callable[..., FastAPI], **overrides: Any) -> FastAPI:
    """An app of the two-region galaxy whose access tokens outlive the clock's jumps."""
    return factory(**({"access_token_seconds": 10**8} | overrides))
