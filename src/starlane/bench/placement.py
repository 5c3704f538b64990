"""Benchmark set-up: register the clients and place each on a pair of adjacent port sectors."""

from __future__ import annotations

import asyncio
import secrets
from itertools import pairwise
from typing import Any

from starlane.bench.workload import ClientSpec
from starlane.client.api import ApiError, StarlaneClient

BENCH_PASSWORD = "bench-password-0123"
"""Password of every benchmark account (a throw-away server)."""


async def register_many(base_url: str, prefix: str, count: int) -> list[str]:
    """Register ``count`` accounts and return their access tokens.

    Args:
        base_url: the server's root URL.
        prefix: username prefix (unique per run).
        count: accounts to create.

    Returns:
        Access tokens, in order.
    """
    semaphore = asyncio.Semaphore(16)

    async def one(i: int) -> str:
        async with semaphore, StarlaneClient(base_url, timeout=30.0) as api:
            await api.register(f"{prefix}{i}", BENCH_PASSWORD)
            assert api.access_token is not None
            return api.access_token

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def _port_lists(port_class: int | None) -> dict[str, list[str]] | None:
    from starlane.domain.data import PORT_CLASSES

    if port_class is None or port_class not in PORT_CLASSES:
        return None
    spec = PORT_CLASSES[port_class]
    if spec.stardock or not (spec.buys or spec.sells):
        return None
    return {"sells": list(spec.sells), "buys": list(spec.buys)}


async def find_pairs(base_url: str, admin: tuple[str, str] | None) -> list[dict[str, Any]]:
    """Pairs of adjacent sectors (two-way warp) in Terran Space for clients to trade between.

    With an admin account the whole map is read and, when there are pairs of port sectors
    whose ports trade with each other (one sells what the other buys), only those are used;
    without one, a probe account looks at Sol's neighbours.

    Args:
        base_url: the server's root URL.
        admin: (username, password) of an admin, or None.

    Returns:
        ``[{"home", "away", "ports"}]``, at least one entry.

    Raises:
        RuntimeError: no usable pair was found.
    """
    if admin is not None:
        async with StarlaneClient(base_url) as api:
            try:
                await api.login(*admin)
                page = await api.request("GET", "/api/v1/regions/1/map", params={"limit": 500})
            except ApiError:
                page = None
        if page and page.get("items"):
            pairs = _pairs_from_map(page["items"])
            if pairs:
                return pairs
    async with StarlaneClient(base_url) as api:
        await api.register(f"probe{secrets.token_hex(4)}", BENCH_PASSWORD)
        sol = await api.sector(1)
        sol_port = await api.port(1)
        ports = {1: _port_view(sol_port)}
        pairs = []
        for warp in sol["warps"]:
            to = int(warp["to_sector_id"])
            await api.move(to)
            view = await api.sector(to)
            if any(int(w["to_sector_id"]) == 1 for w in view["warps"]):
                entry_ports = dict(ports)
                if view.get("port") and not view["port"].get("stardock"):
                    entry_ports[to] = _port_view(await api.port(to))
                pairs.append({"home": 1, "away": to, "ports": entry_ports})
            await api.autopilot(1)
    if not pairs:
        raise RuntimeError("no two-way warp out of Sol: cannot place benchmark clients")
    return pairs


def _port_view(port: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "sells": [c["commodity"] for c in port["commodities"] if c["direction"] == "sells"],
        "buys": [c["commodity"] for c in port["commodities"] if c["direction"] == "buys"],
    }


def _pairs_from_map(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {int(s["id"]): s for s in items}
    ports = {sid: _port_lists(s.get("port_class")) for sid, s in by_id.items()}
    ranked: list[tuple[int, int, int]] = []
    for sid, sector in by_id.items():
        if ports.get(sid) is None:
            continue
        for warp in sector.get("warps", []):
            other = int(warp["to_sector_id"])
            back = by_id.get(other, {}).get("warps", [])
            if ports.get(other) is None or not any(int(w["to_sector_id"]) == sid for w in back):
                continue
            a, b = ports[sid], ports[other]
            assert a is not None and b is not None
            complementary = bool(
                set(a["sells"]) & set(b["buys"]) or set(b["sells"]) & set(a["buys"])
            )
            ranked.append((0 if complementary else 1, sid, other))
    ranked.sort()
    if ranked and ranked[0][0] == 0:  # pairs that trade with each other exist: only those
        ranked = [entry for entry in ranked if entry[0] == 0]
    used: set[int] = set()
    pairs = []
    for _, home, away in ranked:
        if home in used or away in used:
            continue
        used.update((home, away))
        pairs.append({"home": home, "away": away, "ports": {home: ports[home], away: ports[away]}})
    return pairs


async def place_clients(
    base_url: str, tokens: list[str], pairs: list[dict[str, Any]], seed: int
) -> list[ClientSpec]:
    """Fly each client to its pair's home sector and describe it.

    Args:
        base_url: the server's root URL.
        tokens: the clients' access tokens.
        pairs: from :func:`find_pairs`.
        seed: seed of the clients' random choices.

    Returns:
        One spec per token.
    """
    semaphore = asyncio.Semaphore(16)

    async def one(i: int, token: str) -> ClientSpec:
        pair = pairs[i % len(pairs)]
        home, away = int(pair["home"]), int(pair["away"])
        async with semaphore, StarlaneClient(base_url, timeout=30.0) as api:
            api.access_token = token
            if home != 1:
                await api.autopilot(home)
        ports = _prefer_complementary({int(k): v for k, v in pair["ports"].items()})
        return ClientSpec(
            token=token,
            home=home,
            away=away,
            ports=ports,
            quote_port=home if home in ports else 1,
            seed=seed * 100_003 + i,
        )

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens))))


async def find_gate(base_url: str) -> tuple[int, int]:
    """The Terran Space gate sector and the sector across it (from a probe account's route
    plan from Sol to the Central Nexus).

    Args:
        base_url: the server's root URL.

    Returns:
        ``(gate sector, sector at the other end)``.

    Raises:
        RuntimeError: no route from Sol leads through a gate.
    """
    async with StarlaneClient(base_url) as api:
        await api.register(f"gprobe{secrets.token_hex(4)}", BENCH_PASSWORD)
        regions = (await api.regions())["items"]
        nexus = next((r for r in regions if r["kind"] == "nexus"), None)
        if nexus is None:
            raise RuntimeError("no Central Nexus: nothing to cross into")
        first = int(nexus["first_sector_id"])
        path = (await api.autopilot(first, execute=False))["path"]
    for a, b in pairwise(path):
        if b >= first > a:
            return int(a), int(b)
    raise RuntimeError("the route from Sol to the Nexus takes no gate")


async def place_crossers(
    base_url: str, tokens: list[str], gate: tuple[int, int], seed: int
) -> list[ClientSpec]:
    """Fly each client to the gate sector; their specs bounce across the gate.

    Args:
        base_url: the server's root URL.
        tokens: the clients' access tokens.
        gate: from :func:`find_gate`.
        seed: seed of the clients' random choices.

    Returns:
        One ``crossing`` spec per token (``home`` the gate sector, ``away`` across it).
    """
    semaphore = asyncio.Semaphore(16)

    async def one(i: int, token: str) -> ClientSpec:
        async with semaphore, StarlaneClient(base_url, timeout=30.0) as api:
            api.access_token = token
            await api.autopilot(gate[0])
        return ClientSpec(token, gate[0], gate[1], seed=seed * 100_003 + i, mix="crossing")

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens))))


def _prefer_complementary(
    ports: dict[int, dict[str, list[str]]],
) -> dict[int, dict[str, list[str]]]:
    """Order each port's ``sells`` so the first is one another port of the pair buys, else the
    cheapest: a client then sells back what it bought instead of draining its credits."""
    from starlane.domain.data import COMMODITIES

    ordered = {}
    for pid, view in ports.items():
        wanted = {c for other, v in ports.items() if other != pid for c in v["buys"]}
        sells = sorted(
            view["sells"],
            key=lambda c: (c not in wanted, COMMODITIES[c].base_price if c in COMMODITIES else 0),
        )
        ordered[pid] = {"sells": sells, "buys": list(view["buys"])}
    return ordered


# --- measuring ----------------------------------------------------------------------------
