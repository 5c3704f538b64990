"""The regional roles matrix: every governor and moderator route, called by every kind of
caller on region A and on region B; 403 wherever the caller has no right there.

The matrix is two tables. :data:`ROUTES` lists the region-scoped routes with the regional
roles that may call them (the game's rules, written here independently of ``REGION_RIGHTS``,
so the test checks the table rather than repeating it). :data:`CALLERS` says which roles
each caller holds in region A and in region B. A call is expected to succeed exactly when the
caller holds one of the route's roles in the target region; otherwise it answers 403
``forbidden``. Add a route by adding a row (the citizenship, treasury and stats routes join
at merge). Citizenship (``/regions/{id}/citizenship``) is every player's own request, not a
governor's or moderator's: its rules are tested in ``test_treasury_citizenship.py``; the
citizens' proposals (``/regions/{id}/proposals``) in ``test_proposals_roles.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.conftest import assert_problem
from tests.api.regions import (
    REGION_A,
    REGION_B,
    cast,
    client_of,
)

pytest_plugins = ("tests.api.region_fixtures",)  # the two-region galaxy's fixtures

GOVERNOR, MODERATOR, CITIZEN, PLAYER, ADMIN = "governor", "moderator", "citizen", "player", "admin"


@dataclass(frozen=True)
class RouteCase:
    """A region-scoped route of the matrix.

    Attributes:
        method: HTTP method.
        path: path with ``{region}`` and, where it applies, ``{player}`` (the subject player).
        allowed: the regional roles that may call it.
        json: the request body, if any.
        ok: the status of an allowed call.
    """

    method: str
    path: str
    allowed: frozenset[str]
    json: dict[str, Any] | None = None
    ok: int = 200
    label: str = field(default="")

    def url(self, region_id: int, player_id: int) -> str:
        """The route's URL for a region and the subject player."""
        return self.path.format(region=region_id, player=player_id)


_STAFF = frozenset({GOVERNOR, MODERATOR})

ROUTES: tuple[RouteCase, ...] = (
    RouteCase(
        "PATCH", "/api/v1/regions/{region}/policies", frozenset({GOVERNOR}), {"tax_rate": 0.12}
    ),
    RouteCase("PUT", "/api/v1/regions/{region}/permits/{player}", _STAFF),
    RouteCase("DELETE", "/api/v1/regions/{region}/permits/{player}", _STAFF),
    RouteCase("GET", "/api/v1/regions/{region}/permits", _STAFF),
    RouteCase("PUT", "/api/v1/regions/{region}/moderators/{player}", frozenset({GOVERNOR})),
    RouteCase("DELETE", "/api/v1/regions/{region}/moderators/{player}", frozenset({GOVERNOR})),
    RouteCase("GET", "/api/v1/regions/{region}/moderators", _STAFF),
    RouteCase(
        "POST", "/api/v1/regions/{region}/treasury/withdraw", frozenset({GOVERNOR}), {"amount": 1}
    ),
    RouteCase("GET", "/api/v1/regions/{region}/stats", frozenset({GOVERNOR, ADMIN})),
    # diplomacy: each region's governor, towards Terran Space (region 1); listing is public
    RouteCase(
        "PUT",
        "/api/v1/regions/{region}/stances/1",
        frozenset({GOVERNOR}),
        {"stance": "hostile", "refuse_entry": True},
    ),
    RouteCase(
        "POST",
        "/api/v1/regions/{region}/agreements",
        frozenset({GOVERNOR}),
        {"other_region_id": 1, "toll_discount_pct": 10, "tax_discount_pct": 5, "days": 3},
        ok=201,
    ),
    RouteCase(
        "GET",
        "/api/v1/regions/{region}/agreements",
        frozenset({GOVERNOR, MODERATOR, CITIZEN, PLAYER, ADMIN}),
    ),
)
"""Every governor and moderator route, with the roles that may call it."""

CALLERS: dict[str, dict[int, frozenset[str]]] = {
    "gov_a": {REGION_A: frozenset({GOVERNOR, PLAYER}), REGION_B: frozenset({PLAYER})},
    "gov_b": {REGION_A: frozenset({PLAYER}), REGION_B: frozenset({GOVERNOR, PLAYER})},
    "mod_a": {REGION_A: frozenset({MODERATOR, PLAYER}), REGION_B: frozenset({PLAYER})},
    "cit_a": {REGION_A: frozenset({CITIZEN, PLAYER}), REGION_B: frozenset({PLAYER})},
    "player": {REGION_A: frozenset({PLAYER}), REGION_B: frozenset({PLAYER})},
    "admin": {REGION_A: frozenset({ADMIN, PLAYER}), REGION_B: frozenset({ADMIN, PLAYER})},
}
"""Each caller's roles in region A and region B (as :func:`cast` sets them up)."""


def _expected(route: RouteCase, caller: str, region_id: int) -> bool:
    return not route.allowed.isdisjoint(CALLERS[caller][region_id])


async def _call(
    c: httpx.AsyncClient, route: RouteCase, region_id: int, subject: int, headers: dict[str, str]
) -> httpx.Response:
    return await c.request(
        route.method, route.url(region_id, subject), json=route.json, headers=headers
    )


async def test_every_caller_on_every_route_of_both_regions(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        subject = people["subject"]["id"]
        checked: dict[tuple[str, bool], int] = {}
        for route in ROUTES:
            for region_id in (REGION_A, REGION_B):
                for caller in CALLERS:
                    r = await _call(c, route, region_id, subject, people[caller]["headers"])
                    where = f"{caller} {route.method} {route.url(region_id, subject)}"
                    allowed = _expected(route, caller, region_id)
                    if allowed:
                        assert r.status_code == route.ok, (where, r.text)
                    else:
                        body = assert_problem(r, 403, "forbidden")
                        assert body["context"]["action"].startswith("region."), where
                    checked[(caller, allowed)] = checked.get((caller, allowed), 0) + 1
        # the governor of A is refused every governor route of B, and B's every one of A
        restricted = sum(PLAYER not in route.allowed for route in ROUTES)
        assert checked[("gov_a", False)] >= restricted
        assert checked[("gov_b", False)] >= restricted
        # the plain player and the citizen have no right on any of these routes but the
        # public ones (a region's agreements)
        public = sum(PLAYER in route.allowed for route in ROUTES) * 2
        assert checked.get(("player", True), 0) == public
        assert checked.get(("cit_a", True), 0) == public
        assert len(ROUTES) * 2 * len(CALLERS) == sum(checked.values())


async def test_unauthenticated_and_unknown_region(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        subject = people["subject"]["id"]
        for route in ROUTES:
            r = await c.request(route.method, route.url(REGION_A, subject), json=route.json)
            assert_problem(r, 401, "not_authenticated")
            for caller in ("gov_a", "admin", "player"):
                r = await _call(c, route, 999, subject, people[caller]["headers"])
                assert_problem(r, 404, "unknown_region")


def test_the_matrix_covers_every_governance_route(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    declared = {
        (method, route.path)
        for route in app.routes
        if getattr(route, "path", "").startswith("/api/v1/regions/{region_id}/")
        and getattr(route, "path", "").rsplit("/", 1)[-1] not in ("map", "citizenship", "proposals")
        for method in getattr(route, "methods", ())
    }
    tested = {
        (
            r.method,
            r.path.replace("{region}", "{region_id}")
            .replace("{player}", "{player_id}")
            .replace("/stances/1", "/stances/{other_id}"),
        )
        for r in ROUTES
    }
    assert declared <= tested, declared - tested
