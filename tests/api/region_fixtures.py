"""Fixtures of the governance tests (a galaxy with two player regions), loaded by the test
modules through ``pytest_plugins``; the helpers are in :mod:`tests.api.regions`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.app import create_app
from tests.api.conftest import FakeClock, boot_once, copy_files
from tests.api.regions import client_of, region_settings


@pytest.fixture(scope="session")
def regions_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the two-region galaxy (generated once per session)."""
    template = tmp_path_factory.mktemp("regions-template")
    boot_once(region_settings(template))
    return template


@pytest.fixture
def regions_dir(tmp_path: Path, regions_template: Path) -> Path:
    """A fresh data directory with a copy of the two-region galaxy."""
    return copy_files(regions_template, tmp_path / "regions")


@pytest.fixture
def regions_factory(regions_dir: Path) -> Callable[..., FastAPI]:
    """Build an app over the two-region data directory (same clock for every app)."""
    clock = FakeClock()

    def _make(**overrides: Any) -> FastAPI:
        return create_app(region_settings(regions_dir, **overrides), clock=clock)

    return _make


@pytest.fixture
async def regions_app(regions_factory: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    """A started app over the two-region galaxy."""
    application = regions_factory()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def regions_client(regions_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of :func:`regions_app`."""
    async with client_of(regions_app) as c:
        yield c
