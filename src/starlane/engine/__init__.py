"""Region engines: single-writer, event-sourced state machines, their registry and timers.

Public surface:

- :class:`GalaxyService` (``engine.router``): recovers and runs every region, routes commands.
- :class:`RegionEngine`, :func:`load_region_state` (``engine.region``).
- :func:`ensure_galaxy` (``engine.bootstrap``): first-start generation of the galaxy.
- :class:`Timer`, :class:`TimerRule` (``engine.timers``).
- the errors of ``engine.errors``.
"""

from __future__ import annotations

from starlane.engine.errors import (
    EngineBusyError,
    EngineError,
    EngineUnavailableError,
    PlayerNotFoundError,
    UnknownRegionError,
)
from starlane.engine.region import EngineMetrics, LoadedRegion, RegionEngine, load_region_state
from starlane.engine.router import GalaxyService
from starlane.engine.timers import Timer, TimerRule, TimerScheduler

__all__ = [
    "EngineBusyError",
    "EngineError",
    "EngineMetrics",
    "EngineUnavailableError",
    "GalaxyService",
    "LoadedRegion",
    "PlayerNotFoundError",
    "RegionEngine",
    "Timer",
    "TimerRule",
    "TimerScheduler",
    "UnknownRegionError",
    "load_region_state",
]
