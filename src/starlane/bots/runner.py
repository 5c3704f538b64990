"""Run a fleet of bots against a server: log in, observe, decide, act, keep statistics.

Each bot is an asyncio task with its own :class:`~starlane.client.api.StarlaneClient` session.
A bot paces itself (``pace`` actions per second at most, with jitter) and backs off when the
server answers 429, sleeping the ``Retry-After`` delay, so a fleet never fights the server's
rate limits. It spends turns at the rate its :class:`~starlane.bots.pacing.TurnPacing` allows
(by default no faster than they regenerate; it plans an autopilot route first to learn its
cost), waiting when low instead of sending a command that would be refused for
``insufficient_turns``. It tells its strategy the reserve it keeps (``BotMemory.turn_reserve``)
so a trader can save a haul's turns before buying; the legs of a haul the strategy marks
``committed`` go as soon as the turns above the reserve cover them. The fleet's :class:`FleetStats`
feed the live Rich summary of ``starlane bots``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from starlane.bots.expeditioner import EXPEDITION_ACTIONS, expedition_request, leg_turns
from starlane.bots.pacing import TurnPacing
from starlane.bots.strategies import Action, BotMemory, Strategy, strategy_for
from starlane.client.api import ApiError, StarlaneClient

GAME_ACTIONS = ("move", "autopilot", "trade", "attack")

ATTACK_TURNS = 5
"""Turns an attack costs under the default rules (``GameRules.attack_turns``); the API does
not show it, so the pacing assumes the default."""


@dataclass(slots=True)
class BotStatus:
    """One bot's figures.

    Attributes:
        name: the bot's username.
        strategy: its strategy name.
        state: ``starting``, ``playing``, ``rate limited``, ``stopped`` or ``failed: ...``.
        credits_start: credits when it first saw ``/me`` (None before).
        credits: credits last seen.
        sector_id: sector last seen.
    """

    name: str
    strategy: str
    state: str = "starting"
    credits_start: int | None = None
    credits: int = 0
    sector_id: int = 0


@dataclass(slots=True)
class FleetStats:
    """What a fleet has done.

    Attributes:
        started: monotonic seconds at the start.
        actions: game actions answered (move, autopilot, trade, attack), refusals included.
        requests: every request sent (observations too).
        by_action: action kind -> successful count.
        errors: error code -> count (refusals, 429s as ``rate_limited``, failures).
        bots: bot name -> its status.
    """

    started: float = field(default_factory=time.monotonic)
    actions: int = 0
    requests: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bots: dict[str, BotStatus] = field(default_factory=dict)

    @property
    def elapsed(self) -> float:
        """Seconds since the fleet started."""
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def actions_per_second(self) -> float:
        """Game actions per second since the start."""
        return self.actions / self.elapsed

    @property
    def credits_earned(self) -> int:
        """Credits gained (or lost, negative) by all bots together since they started."""
        return sum(
            b.credits - b.credits_start for b in self.bots.values() if b.credits_start is not None
        )

    def table(self) -> Table:
        """The live summary.

        Returns:
            A Rich table: actions/s, actions by kind, credits earned, errors by code.
        """
        playing = sum(1 for b in self.bots.values() if b.state == "playing")
        table = Table(title=f"Starlane bots: {playing}/{len(self.bots)} playing", expand=False)
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_row("elapsed", f"{self.elapsed:,.0f} s")
        table.add_row("actions/s", f"{self.actions_per_second:,.1f}")
        table.add_row("actions", f"{self.actions:,}")
        for kind in (*GAME_ACTIONS, "quote", "port", "scan", "plan", "wait", "turn wait"):
            if self.by_action.get(kind):
                table.add_row(f"  {kind}", f"{self.by_action[kind]:,}")
        table.add_row("credits earned", f"{self.credits_earned:+,}")
        errors = ", ".join(f"{code} {n}" for code, n in self.errors.most_common()) or "none"
        table.add_row("errors by code", errors)
        return table

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data.

        Returns:
            elapsed, actions, actions_per_second, by_action, credits_earned and errors.
        """
        return {
            "elapsed": round(self.elapsed, 2),
            "actions": self.actions,
            "actions_per_second": round(self.actions_per_second, 2),
            "by_action": dict(self.by_action),
            "credits_earned": self.credits_earned,
            "errors": dict(self.errors),
        }


class Bot:
    """One simulated player.

    Args:
        api: its API session (not yet logged in).
        name: its username.
        password: its password.
        strategy: what it does.
        stats: the fleet's statistics (shared).
        pace: most actions per second.
        rng: its randomness.
        sleep: the sleep function (injected by tests).
        turn_pacing: how fast it spends turns.
        clock: monotonic clock, seconds (injected by tests).
    """

    def __init__(
        self,
        api: StarlaneClient,
        name: str,
        password: str,
        strategy: Strategy,
        stats: FleetStats,
        *,
        pace: float = 2.0,
        rng: random.Random | None = None,
        sleep: Any = asyncio.sleep,
        turn_pacing: TurnPacing | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.api = api
        self.turn_pacing = turn_pacing or TurnPacing()
        self._clock = clock
        self._last_spend: float | None = None
        self._start_turns: int | None = None
        self.name = name
        self.password = password
        self.strategy = strategy
        self.stats = stats
        self.pace = pace
        self.rng = rng or random.Random(name)
        self.memory = BotMemory()
        self._sleep = sleep
        self.status = stats.bots.setdefault(name, BotStatus(name, strategy.name))

    async def login(self) -> None:
        """Register (first start) or log in, waiting out rate limits.

        Raises:
            ApiError: the server refused for another reason than a rate limit.
        """
        registered = False
        while True:
            try:
                if not registered:
                    try:
                        await self.api.register(self.name, self.password)
                        registered = True
                        return
                    except ApiError as exc:
                        if exc.status != 409:
                            raise
                        registered = True
                await self.api.login(self.name, self.password)
                return
            except ApiError as exc:
                if not exc.rate_limited:
                    raise
                self.stats.errors["rate_limited"] += 1
                self.status.state = "rate limited"
                await self._sleep((exc.retry_after or 1.0) + self.rng.random())

    async def step(self) -> Action:
        """Observe, decide and act once.

        Returns:
            The action taken.

        Raises:
            ApiError: a request failed for a reason other than a game refusal or 429 (those
                are counted and absorbed).
        """
        me = await self._call(self.api.me)
        self._see_me(me)
        if self._start_turns is None:
            self._start_turns = int(me["turns"].get("available", 0))
        self.memory.turn_reserve = self.turn_pacing.reserve_for(self._start_turns)
        self.memory.now = self._clock()
        sector = await self._call(self.api.sector, int(me["sector_id"]))
        self.memory.observe_sector(sector)
        self.memory.arrive(int(sector["id"]))
        action = self.strategy.decide(me, sector, self.memory, self.rng)
        cost = await self.turn_cost(action, me, sector)
        if cost is None:  # the autopilot found no route: perform it to learn why
            cost = 0
        since = float("inf") if self._last_spend is None else self._clock() - self._last_spend
        wait = self.turn_pacing.wait_before(
            me["turns"], cost, since, start=self._start_turns, committed=action.committed
        )
        if wait > 0:
            self.stats.by_action["turn wait"] += 1
            await self._sleep(wait)
            return Action("wait", {"seconds": wait}, f"pacing turns for {action.kind}")
        await self.perform(action, here=int(me["sector_id"]))
        if cost > 0:
            self._last_spend = self._clock()
        return action

    async def turn_cost(
        self, action: Action, me: dict[str, Any], sector: dict[str, Any]
    ) -> int | None:
        """The turns an action will cost (an autopilot route is planned to learn it).

        Args:
            action: the action.
            me: the ``/me`` document it was decided from.
            sector: the sector view it was decided from.

        Returns:
            Turns; None when an autopilot plan was refused (the action then reports why).
        """
        move_turns = int(me.get("ship", {}).get("move_turns", 1))
        if action.kind == "move":
            target = int(action.args["to_sector_id"])
            for warp in sector.get("warps", []):
                if int(warp["to_sector_id"]) == target:
                    return int(warp.get("turn_cost", 1)) * move_turns
            return move_turns
        if action.kind == "autopilot":
            try:
                plan = await self._call(
                    self.api.autopilot, int(action.args["to_sector_id"]), execute=False
                )
            except ApiError as exc:
                if exc.status == 0 or exc.status >= 500 or exc.status == 401:
                    raise
                return None
            return int(plan.get("turn_cost", 0))
        if action.kind == "trade":
            return 1
        if action.kind == "attack":
            return ATTACK_TURNS
        if action.kind == "expedition_next":
            return leg_turns(self.memory.expedition)
        return 0

    async def perform(self, action: Action, *, here: int) -> None:
        """Carry an action out through the API and record the outcome.

        Args:
            action: the action.
            here: the sector the bot is in.
        """
        args = action.args
        try:
            if action.kind == "wait":
                self.stats.by_action["wait"] += 1
                await self._sleep(float(args.get("seconds", 1.0)))
                return
            if action.kind == "port":
                port = await self._call(self.api.port, int(args["port_id"]))
                self.memory.observe_port(port)
                self.stats.by_action["port"] += 1
                return
            if action.kind == "plan":
                target = int(args["to_sector_id"])
                plan = await self._call(self.api.autopilot, target, execute=False)
                self.memory.planned[(here, target)] = int(plan.get("turn_cost", 0))
                self.stats.by_action["plan"] += 1
                return
            if action.kind == "scan":
                scan = await self._call(self.api.scan)
                self.memory.scanned.add(here)
                for view in scan.get("neighbours", []):
                    self.memory.learn_sector(view)
                self.stats.by_action["scan"] += 1
                return
            result: Any
            if action.kind == "move":
                result = await self._call(self.api.move, int(args["to_sector_id"]))
                self.memory.last_sector_id = here
                if isinstance(result, dict) and isinstance(result.get("sector"), dict):
                    self.memory.observe_sector(result["sector"])
            elif action.kind == "autopilot":
                result = await self._call(self.api.autopilot, int(args["to_sector_id"]))
                self.memory.last_sector_id = here
            elif action.kind == "trade":
                quantity = int(args["quantity"])
                guard = args.get("max_unit_price")
                if "price_guard" in args:
                    quantity, guard = await self._quoted(args, quantity)
                result = await self._call(
                    self.api.trade,
                    int(args["port_id"]),
                    args["commodity"],
                    args["side"],
                    quantity,
                    guard,
                )
                self.memory.ports.pop(int(args["port_id"]), None)  # prices moved: look again
                if isinstance(result, dict) and "credits_after" in result:
                    self.status.credits = int(result["credits_after"])
                    self._record_trade(result)
            elif action.kind == "attack":
                result = await self._call(
                    self.api.attack, args["target_kind"], int(args["target_id"])
                )
            elif action.kind in EXPEDITION_ACTIONS:
                (method, path), kwargs = expedition_request(action)
                result = await self._call(self.api.request, method, path, **kwargs)
                self.memory.expedition = result
            else:
                raise ValueError(f"unknown action {action.kind!r}")
            del result
            self.stats.actions += 1
            self.stats.by_action[action.kind] += 1
        except ApiError as exc:
            if exc.status == 0 or exc.status >= 500 or exc.status == 401:
                raise
            self.stats.actions += 1
            self.stats.errors[exc.code] += 1
            if action.kind in ("autopilot", "move", "plan") and exc.code in (
                "no_route",
                "unknown_sector",
                "not_adjacent",
                "not_found",
            ):
                self.memory.unreachable.add(int(args["to_sector_id"]))
            if action.kind == "trade":
                self.memory.ports.pop(int(args["port_id"]), None)
            if action.kind == "port":
                self.memory.unreachable.add(int(args["port_id"]))
            if action.kind == "expedition_next" and exc.code != "insufficient_turns":
                self.memory.expedition = None  # abandoned: the strategy plans another

    def _record_trade(self, receipt: dict[str, Any]) -> None:
        """Keep the cost basis of the cargo in step with a trade receipt."""
        commodity = str(receipt["commodity"])
        after = int(receipt.get("cargo", {}).get(commodity, 0))
        units = int(receipt["units"])
        if receipt["side"] == "buy":
            paid = int(receipt["total"]) + int(receipt["tax"])
            self.memory.bought(commodity, units, paid, after - units)
        elif after == 0:
            self.memory.cost_basis.pop(commodity, None)

    async def _quoted(self, args: dict[str, Any], quantity: int) -> tuple[int, float]:
        """Quote a purchase, shrink it to the budget, and derive its price guard."""
        port_id, commodity, side = int(args["port_id"]), args["commodity"], args["side"]
        quote = await self._call(self.api.quote, port_id, commodity, side, quantity)
        self.stats.by_action["quote"] += 1
        cost = -int(quote.get("credits_change", 0))
        budget = args.get("budget")
        if budget is not None and cost > budget > 0:
            quantity = max(1, int(quantity * budget / cost))
        return quantity, round(float(quote["unit_price"]) * float(args["price_guard"]), 4)

    async def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        while True:
            self.stats.requests += 1
            try:
                return await method(*args, **kwargs)
            except ApiError as exc:
                if not exc.rate_limited:
                    raise
                self.stats.errors["rate_limited"] += 1
                self.status.state = "rate limited"
                await self._sleep((exc.retry_after or 1.0) + 0.1 * self.rng.random())
                self.status.state = "playing"

    def _see_me(self, me: dict[str, Any]) -> None:
        credits = int(me.get("credits", 0))
        if self.status.credits_start is None:
            self.status.credits_start = credits
        self.status.credits = credits
        self.status.sector_id = int(me.get("sector_id", 0))

    async def run(self, deadline: float | None) -> None:
        """Play until the deadline (monotonic seconds) or until cancelled.

        Args:
            deadline: ``time.monotonic()`` value to stop at; None plays until cancelled.
        """
        try:
            await self.login()
            self.status.state = "playing"
            interval = 1.0 / self.pace if self.pace > 0 else 0.0
            failures = 0
            while deadline is None or time.monotonic() < deadline:
                began = time.monotonic()
                try:
                    await self.step()
                    failures = 0
                except ApiError as exc:
                    failures += 1
                    self.stats.errors[exc.code] += 1
                    if failures >= 20:
                        raise
                    await self._sleep(min(5.0, 0.2 * failures))
                    if exc.status == 401:
                        await self.login()
                wait = interval * (0.5 + self.rng.random()) - (time.monotonic() - began)
                if wait > 0:
                    await self._sleep(wait)
            self.status.state = "stopped"
        except asyncio.CancelledError:
            self.status.state = "stopped"
            raise
        except Exception as exc:
            self.status.state = f"failed: {exc}"
            self.stats.errors[getattr(exc, "code", type(exc).__name__)] += 1


class BotFleet:
    """Several bots playing one server.

    Args:
        server: the server's root URL.
        count: number of bots.
        strategy: ``trader``, ``explorer``, ``hunter`` or ``mixed``.
        pace: most actions per second per bot.
        prefix: username prefix (bots are ``<prefix><n>``, e.g. ``bot7``).
        password: the bots' password (at least 10 characters).
        transport: an httpx transport (in-process tests).
        seed: seed of the bots' randomness.
        turn_pacing: how fast each bot spends turns (default: :class:`TurnPacing`).
    """

    def __init__(
        self,
        server: str,
        *,
        count: int,
        strategy: str = "mixed",
        pace: float = 2.0,
        prefix: str = "bot",
        password: str = "starlane-bot-password",
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int = 0,
        turn_pacing: TurnPacing | None = None,
    ) -> None:
        self.server = server
        self.stats = FleetStats()
        self.bots: list[Bot] = []
        for index in range(count):
            name = f"{prefix}{index + 1}"
            self.bots.append(
                Bot(
                    StarlaneClient(server, transport=transport),
                    name,
                    password,
                    strategy_for(strategy, index),
                    self.stats,
                    pace=pace,
                    rng=random.Random(f"{seed}:{name}"),
                    turn_pacing=turn_pacing,
                )
            )

    async def run(self, duration: float | None = None) -> FleetStats:
        """Run every bot for ``duration`` seconds (None: until cancelled).

        Args:
            duration: seconds to play.

        Returns:
            The fleet's statistics.
        """
        self.stats.started = time.monotonic()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            await asyncio.gather(*(bot.run(deadline) for bot in self.bots))
        finally:
            for bot in self.bots:
                with contextlib.suppress(Exception):
                    await bot.api.aclose()
        return self.stats

    async def run_live(
        self,
        console: Console,
        *,
        duration: float | None = None,
        stop: Awaitable[Any] | None = None,
        refresh_seconds: float = 1.0,
    ) -> FleetStats:
        """Run the fleet while showing the live summary.

        Args:
            console: where to draw the summary.
            duration: seconds to play (None: until cancelled or ``stop`` completes).
            stop: an awaitable whose completion stops the fleet (the server task).
            refresh_seconds: summary refresh interval, seconds.

        Returns:
            The fleet's statistics.
        """
        run = asyncio.ensure_future(self.run(duration))
        waiters: set[asyncio.Future[Any]] = {run}
        if stop is not None:
            waiters.add(asyncio.ensure_future(stop))
        with Live(self.stats.table(), console=console, refresh_per_second=4) as live:
            try:
                while not any(w.done() for w in waiters):
                    await asyncio.wait(waiters, timeout=refresh_seconds)
                    live.update(self.stats.table())
            finally:
                if not run.done():
                    run.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await run
                live.update(self.stats.table())
        return self.stats
