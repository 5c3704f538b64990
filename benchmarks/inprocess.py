"""What the in-process benchmarks (``bench_http.py``, ``bench_ws.py``) share: the settings of
their app and how they run their coroutine. Not a benchmark itself (``make bench`` runs only
``bench_*.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from starlane.config import GalaxySettings, RateLimits, Settings

T = TypeVar("T")

PASSWORD = "bench password 1234"
"""Password of every account the in-process benchmarks register."""


def bench_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of an in-process benchmark app: SQLite under ``data_dir``, a small galaxy, fast
    password hashing, no rate limits, no projections (the figures are the request path alone).

    Args:
        data_dir: a temporary directory.
        **overrides: other settings (e.g. ``rules``).

    Returns:
        The settings.
    """
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": "",
        "jwt_secret": "bench-secret-" + "x" * 32,
        "galaxy": GalaxySettings(nexus_sectors=2000, player_regions=0),
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "rate": RateLimits(enabled=False),
        "admin_username": "",
        "admin_password": "",
        "log_level": "warning",
        "projector": "off",
    }
    values.update(overrides)
    return Settings(**values)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a benchmark coroutine on uvloop (as ``starlane serve`` does), warnings-only logs.

    Args:
        coro: the benchmark.

    Returns:
        Its result.
    """
    from starlane.cli.common import configure_logging

    configure_logging("warning")
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(coro)
    return uvloop.run(coro)
