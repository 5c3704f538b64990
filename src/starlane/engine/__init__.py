"""Region engines: single-writer, event-sourced state machines, their registry and timers.

Public surface:

- :class:`GalaxyService` (``engine.router``): recovers and runs every region, routes commands;
  :class:`PlayerDirectory` (``engine.directory``): where every player is.
- :class:`RegionEngine` (``engine.region``), :func:`load_region_state` (``engine.recovery``).
- :func:`ensure_galaxy` (``engine.bootstrap``): first-start generation of the galaxy.
- :class:`Timer`, :class:`TimerRule` (``engine.timers``).
- the errors of ``engine.errors``.
"""

from __future__ import annotations

from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import (
    EngineBusyError,
    EngineError,
    EngineUnavailableError,
    PlayerNotFoundError,
    UnknownRegionError,
)
from starlane.engine.metrics import EngineMetrics
from starlane.engine.recovery import LoadedRegion, load_region_state
from starlane.engine.region import RegionEngine
from starlane.engine.router import GalaxyService
from starlane.engine.timers import Timer, TimerRule, TimerScheduler

__all__ = [
    "EngineBusyError",
    "EngineError",
    "EngineMetrics",
    "EngineUnavailableError",
    "GalaxyService",
    "LoadedRegion",
    "PlayerDirectory",
    "PlayerNotFoundError",
    "RegionEngine",
    "Timer",
    "TimerRule",
    "TimerScheduler",
    "UnknownRegionError",
    "load_region_state",
]
