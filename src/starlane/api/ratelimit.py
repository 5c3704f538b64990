"""Rate limits with the ``limits`` library (async moving windows).

Limits (numbers from :class:`starlane.config.RateLimits`):

- ``login``: login attempts, ``login_per_minute`` per client address and, separately, per
  (address, username) pair; nothing per username alone, so a stranger's failures never lock
  the owner out (:func:`starlane.api.deps.login_limit_keys`);
- ``register``: registrations, the same numbers and keys;
- ``ws``: WebSocket connections, ``ws_connects_per_minute`` per IP;
- ``command``: game commands (REST and WebSocket) per player, two windows: ``commands_burst``
  per ``burst_seconds`` (a burst of 20 at once, 10/s over the window by default) and
  ``commands_per_second * 60`` per minute (the sustained rate, 10/s by default);
- ``forum_post``: forum posts (threads and replies) per account, ``forum_posts_per_minute``
  per minute and ``forum_posts_per_hour`` per hour.

Clients in ``trusted_networks`` (loopback by default) are exempt from the per-IP limits only.

Storage is ``memory://`` (one process) or ``redis://...`` (several processes share the counts;
needs the ``redis`` extra).
A refused hit raises a 429 problem with ``Retry-After`` (whole seconds until a slot frees).
"""

from __future__ import annotations

import inspect
import ipaddress
import math
import time
from typing import Any

from limits import (
    RateLimitItem,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    RateLimitItemPerSecond,
)
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from starlane.api.errors import ApiError
from starlane.config import RateLimits


class RateLimiter:
    """The app's rate limits over one storage.

    Args:
        config: the ``rate`` settings.
    """

    def __init__(self, config: RateLimits) -> None:
        self.enabled = config.enabled
        url = config.storage_url
        if not url.startswith("async+"):
            url = "async+" + url
        options: dict[str, str] = {}
        if "redis" in url.split("://", 1)[0]:
            options["implementation"] = "redispy"  # the ``redis`` package (the redis extra)
        self._storage = storage_from_string(url, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)  # type: ignore[arg-type,unused-ignore]
        self.trusted_networks = tuple(
            ipaddress.ip_network(net, strict=False) for net in config.trusted_networks
        )
        self.items: dict[str, tuple[RateLimitItem, ...]] = {
            "login": (RateLimitItemPerMinute(config.login_per_minute),),
            "register": (RateLimitItemPerMinute(config.login_per_minute),),
            "ws": (RateLimitItemPerMinute(config.ws_connects_per_minute),),
            "command": (
                RateLimitItemPerSecond(config.commands_burst, config.burst_seconds),
                RateLimitItemPerMinute(config.commands_per_second * 60),
            ),
            "forum_post": (
                RateLimitItemPerMinute(config.forum_posts_per_minute),
                RateLimitItemPerHour(config.forum_posts_per_hour),
            ),
        }

    async def hit(self, name: str, *keys: str) -> None:
        """Count one attempt against limit ``name`` for each key; refuse if any is exhausted.

        Every window of every key is checked before any is counted, so a refused attempt does
        not use up the allowance of the others.

        Args:
            name: ``login``, ``register``, ``ws``, ``command`` or ``forum_post``.
            *keys: identities the limit applies to (``"ip:1.2.3.4"``, ``"ipuser:1.2.3.4/bob"``).

        Raises:
            ApiError: 429 ``rate_limited`` with ``Retry-After``.
        """
        if not self.enabled:
            return
        keys = tuple(k for k in keys if not self._trusted(k))
        items = self.items[name]
        for item in items:
            for key in keys:
                if not await self._limiter.test(item, name, key):
                    raise await self._refusal(name, item, key)
        for item in items:
            for key in keys:
                if not await self._limiter.hit(item, name, key):
                    raise await self._refusal(name, item, key)

    def is_trusted(self, address: str) -> bool:
        """Whether a client address is in ``trusted_networks`` (exempt from per-address limits).

        Args:
            address: the client address.

        Returns:
            True when trusted.
        """
        return self._trusted(f"ip:{address}")

    def _trusted(self, key: str) -> bool:
        """Whether ``key`` is an ``ip:`` key of a trusted network (exempt from per-IP limits)."""
        if not key.startswith("ip:") or not self.trusted_networks:
            return False
        try:
            address = ipaddress.ip_address(key[3:])
        except ValueError:
            return False
        return any(address in net for net in self.trusted_networks)

    async def _refusal(self, name: str, item: RateLimitItem, key: str) -> ApiError:
        stats = await self._limiter.get_window_stats(item, name, key)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        return ApiError(
            429,
            "rate_limited",
            f"too many {name} requests: at most {item.amount} per "
            f"{item.multiples} {item.GRANULARITY.name}(s); retry in {retry} s",
            headers={"Retry-After": str(retry)},
            context={"limit": name, "retry_after": retry},
        )

    async def reset(self) -> None:
        """Forget every count (tests, and operators after a false alarm)."""
        result: Any = self._storage.reset()
        if inspect.isawaitable(result):
            await result
