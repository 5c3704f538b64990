"""What each benchmark client does: the game mix and the baseline, over REST or the WebSocket.

The **game mix**: move 50 %, quote 20 %, trade 25 %, sector view 5 %. Each client
owns a pair of adjacent sectors (``home``, ``away``, two-way warp, ports in both that trade
with each other when the galaxy offers such pairs) and bounces between them, trading as a
trader would: a trade sells one unit of a carried commodity the port buys, else buys one unit
of a commodity the port sells and the pair's other port buys (never goods it could not sell,
which would only drain its credits), holding at most :data:`MAX_CARGO` units; a port the
rules answered ``port_out_of_stock`` or ``port_demand_exhausted`` for a commodity is not asked
for it again by that client (trade or quote); when the port offers nothing left to do, the
action is a quote instead (the printed mix shows the actions really made). A quote asks the
home port's price of one unit of something it trades; a sector view reads the current sector.
Clients are closed-loop: each sends its next request as soon as the previous answer arrives;
or, given an offered rate, open-loop: each sends on a fixed schedule and latency counts from
the intended send time (:mod:`starlane.bench.schedule`). A game-mix client first reads ``me``
(before the measured window) so that it starts from where the previous workload left its ship.

The **baseline** is the same stack answering the most trivial authenticated request, ``GET
/api/v1/me`` (an in-memory read of the player; over the WebSocket the ``me`` operation).

The **idle feed** workload holds many authenticated WebSocket connections that only listen,
while one driver moves in and out of their sector; each listener records the delay from the
event's decision time (``event.at``) to its arrival.

Worker functions here run inside client processes (``runner`` starts them); their inputs and
outputs are plain picklable data.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from starlane.bench.rawhttp import RawHttp, RawHttpError
from starlane.bench.schedule import ClosedLoopPacer, OpenLoopPacer, send_delay
from starlane.bench.stats import Recorder

_decode = msgspec.json.Decoder().decode

GAME_MIX: tuple[tuple[str, int], ...] = (("move", 50), ("quote", 20), ("trade", 25), ("sector", 5))
"""The game mix: action -> percent of actions."""

CROSSING_MIX: tuple[tuple[str, int], ...] = (("cross", 100),)
"""The crossing workload: every action a gate passage (``home`` and ``away`` are the two ends
of a gate between regions, so each move between them crosses)."""

EXHAUSTED_CODES = frozenset({"port_out_of_stock", "port_demand_exhausted"})
"""Refusals after which a client stops asking that port for that commodity and side."""

MAX_CARGO = 50
"""Most units a game-mix client carries: it buys only below this (a random walk of buys at
one port and sells at the other stays within the ship's holds and credits)."""


@dataclass(slots=True)
class ClientSpec:
    """One benchmark client (picklable).

    Attributes:
        token: its access token.
        home: sector it starts in (a port sector when possible).
        away: an adjacent sector with a warp back to ``home``.
        ports: port id -> ``{"sells": [...], "buys": [...]}`` of ``home``/``away`` ports.
        quote_port: the port it asks quotes of.
        seed: seed of its random choices.
        mix: ``game`` (:data:`GAME_MIX`) or ``crossing`` (:data:`CROSSING_MIX`).
    """

    token: str
    home: int
    away: int
    ports: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    quote_port: int = 1
    seed: int = 0
    mix: str = "game"


class GameMix:
    """Chooses a client's next game action and tracks its position and cargo."""

    def __init__(self, spec: ClientSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.sector = spec.home
        self.cargo: dict[str, int] = {}
        mix = CROSSING_MIX if spec.mix == "crossing" else GAME_MIX
        self._weights = [w for _, w in mix]
        self._names = [n for n, _ in mix]
        self._exhausted: set[tuple[int, str, str]] = set()  # (port, commodity, side)
        # per port sector: the commodities another port of the pair buys
        self._wanted = {
            sid: {c for other, v in spec.ports.items() if other != sid for c in v["buys"]}
            for sid in spec.ports
        }

    def next(self) -> tuple[str, str, dict[str, Any]]:
        """The next action.

        Returns:
            ``(action, op, args)``: the mix's action name, the WebSocket operation and its
            arguments (the REST call is derived from the same op and args).
        """
        action = self.rng.choices(self._names, self._weights)[0]
        spec = self.spec
        if action in ("move", "cross"):
            to = spec.away if self.sector == spec.home else spec.home
            return action, "move", {"to_sector_id": to}
        if action == "sector":
            return action, "sector", {"sector_id": self.sector}
        port = spec.ports.get(self.sector)
        if action == "trade" and port is not None:
            here, exhausted = self.sector, self._exhausted
            for commodity in port["buys"]:
                if self.cargo.get(commodity, 0) > 0 and (here, commodity, "sell") not in exhausted:
                    return action, "trade", _trade(here, commodity, "sell")
            if sum(self.cargo.values()) < MAX_CARGO:
                wanted = self._wanted[here]
                for commodity in port["sells"]:
                    if commodity in wanted and (here, commodity, "buy") not in exhausted:
                        return action, "trade", _trade(here, commodity, "buy")
        return "quote", "quote", self._quote()

    def _quote(self) -> dict[str, Any]:
        """A quote the quote port can answer: a buy of what it sells, else a sell of what it
        buys, skipping those it was found out of (the first choice when all are)."""
        pid = self.spec.quote_port
        port = self.spec.ports.get(pid, {"sells": ["fuel"], "buys": []})
        choices = [(c, "buy") for c in port["sells"]] + [(c, "sell") for c in port["buys"]]
        for commodity, side in choices:
            if (pid, commodity, side) not in self._exhausted:
                return _trade(pid, commodity, side)
        commodity, side = choices[0] if choices else ("fuel", "buy")
        return _trade(pid, commodity, side)

    def sync(self, me: Any) -> None:
        """Take the position and cargo from a ``me`` answer (where the last workload left them).

        Args:
            me: the decoded ``GET /api/v1/me`` answer (``sector_id``, ``ship.cargo``); anything
                else is ignored.
        """
        if not isinstance(me, dict):
            return
        if isinstance(me.get("sector_id"), int):
            self.sector = me["sector_id"]
        ship = me.get("ship")
        if isinstance(ship, dict) and isinstance(ship.get("cargo"), dict):
            self.cargo = {str(k): int(v) for k, v in ship["cargo"].items() if v}

    def refused(self, op: str, args: dict[str, Any], code: str) -> None:
        """Learn from a refusal: a port out of stock (or demand) for a commodity is left alone.

        Args:
            op: the operation refused.
            args: its arguments.
            code: the refusal's error code; only :data:`EXHAUSTED_CODES` of trades and quotes
                count.
        """
        if op in ("trade", "quote") and code in EXHAUSTED_CODES:
            self._exhausted.add((int(args["port_id"]), str(args["commodity"]), str(args["side"])))

    def apply(self, op: str, args: dict[str, Any], result: Any) -> None:
        """Update position and cargo from a successful answer.

        Args:
            op: the operation performed.
            args: its arguments.
            result: the decoded answer.
        """
        if op == "move":
            self.sector = int(args["to_sector_id"])
        elif op == "trade" and isinstance(result, dict) and "cargo" in result:
            self.cargo = dict(result["cargo"])


def _trade(port_id: int, commodity: str, side: str) -> dict[str, Any]:
    return {"port_id": port_id, "commodity": commodity, "side": side, "quantity": 1}


def rest_call(op: str, args: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    """The REST request of a WebSocket-style operation.

    Args:
        op: ``me``, ``move``, ``sector``, ``quote`` or ``trade``.
        args: its arguments.

    Returns:
        ``(method, path, json_body)``.

    Raises:
        ValueError: an unknown operation.
    """
    if op == "me":
        return "GET", "/api/v1/me", None
    if op == "move":
        return "POST", "/api/v1/me/move", args
    if op == "sector":
        return "GET", f"/api/v1/sectors/{args['sector_id']}", None
    if op == "quote":
        query = f"commodity={args['commodity']}&side={args['side']}&quantity={args['quantity']}"
        return "GET", f"/api/v1/ports/{args['port_id']}/quote?{query}", None
    if op == "trade":
        body = {k: v for k, v in args.items() if k != "port_id"}
        return "POST", f"/api/v1/ports/{args['port_id']}/trade", body
    raise ValueError(f"unknown op {op!r}")


def _pacer(
    schedule: dict[str, float] | None, start: float, end: float
) -> ClosedLoopPacer | OpenLoopPacer:
    """The client's pacer; ``start``/``end`` on ``time.perf_counter``, the origin in unix s."""
    if schedule is None:
        return ClosedLoopPacer(end=end)
    return OpenLoopPacer(
        origin=_to_monotonic(schedule["origin"]),
        interval=schedule["interval"],
        phase=schedule["phase"],
        start=start,
        end=end,
    )


def _to_monotonic(unix_seconds: float) -> float:
    return unix_seconds - time.time() + time.perf_counter()


async def _rest_client(
    base_url: str,
    spec: ClientSpec,
    mode: str,
    start: float,
    end: float,
    rec: Recorder,
    schedule: dict[str, float] | None,
) -> None:
    http = RawHttp(base_url, spec.token)
    mix = GameMix(spec)
    start, end = _to_monotonic(start), _to_monotonic(end)
    pacer = _pacer(schedule, start, end)
    closed = schedule is None  # latency from the actual send, else from the intended one
    try:
        if mode == "game":
            with contextlib.suppress(RawHttpError):
                status, raw, _ = await http.request("GET", "/api/v1/me", None)
                if status < 400:
                    mix.sync(_decode(raw))
        while (intended := pacer.next_send(time.perf_counter())) is not None:
            delay = send_delay(intended, time.perf_counter())
            if delay > 0:
                await asyncio.sleep(delay)
            measured = intended >= start
            action, op, args = ("me", "me", {}) if mode == "baseline" else mix.next()
            method, path, body = rest_call(op, args)
            began = time.perf_counter() if closed else intended
            try:
                status, raw, _ = await http.request(method, path, body)
            except RawHttpError:
                if measured:
                    rec.record(action, time.perf_counter() - began, "connection_error")
                await asyncio.sleep(0.05)
                continue
            elapsed = time.perf_counter() - began
            if status >= 400:
                code = _problem_code(raw, status)
                if measured:
                    rec.record(action, elapsed, code)
                mix.refused(op, args, code)
                continue
            if measured:
                rec.record(action, elapsed)
            if op == "move":
                mix.apply(op, args, None)  # the position is known: no need to decode
            elif op == "trade":
                mix.apply(op, args, _decode(raw))
    finally:
        rec.unsent += pacer.unsent()
        await http.close()


async def _ws_client(
    base_url: str,
    spec: ClientSpec,
    mode: str,
    start: float,
    end: float,
    rec: Recorder,
    schedule: dict[str, float] | None,
) -> None:
    from starlane.bench.rawws import RawWebSocket
    from starlane.client.api import ApiError

    live = await RawWebSocket.open(base_url, spec.token)
    mix = GameMix(spec)
    start, end = _to_monotonic(start), _to_monotonic(end)
    pacer = _pacer(schedule, start, end)
    closed = schedule is None  # latency from the actual send, else from the intended one
    try:
        if mode == "game":
            with contextlib.suppress(ApiError):
                mix.sync(await live.request("me"))
        while (intended := pacer.next_send(time.perf_counter())) is not None:
            delay = send_delay(intended, time.perf_counter())
            if delay > 0:
                await asyncio.sleep(delay)
            measured = intended >= start
            action, op, args = ("me", "me", {}) if mode == "baseline" else mix.next()
            began = time.perf_counter() if closed else intended
            try:
                result = await live.request(op, **args)
            except ApiError as exc:
                if measured:
                    rec.record(action, time.perf_counter() - began, exc.code)
                if exc.status == 0:
                    return
                mix.refused(op, args, exc.code)
                continue
            if measured:
                rec.record(action, time.perf_counter() - began)
            mix.apply(op, args, result)
    finally:
        rec.unsent += pacer.unsent()
        await live.close()


def _problem_code(raw: bytes, status: int) -> str:
    try:
        body = _decode(raw)
    except msgspec.DecodeError:
        return f"http_{status}"
    if isinstance(body, dict) and body.get("code"):
        return str(body["code"])
    return f"http_{status}"


async def run_clients(
    base_url: str,
    specs: list[ClientSpec],
    *,
    transport: str,
    mode: str,
    start: float,
    end: float,
    origin: float | None = None,
    interval: float | None = None,
    phases: list[float] | None = None,
) -> Recorder:
    """Run clients concurrently in this process until ``end``.

    Closed loop by default; with ``interval`` (and ``origin``, ``phases``) open loop: client
    ``i`` intends to send at ``origin + phases[i] + k * interval`` (see
    :class:`~starlane.bench.schedule.OpenLoopPacer`).

    Args:
        base_url: the server's root URL.
        specs: the clients.
        transport: ``rest`` or ``ws``.
        mode: ``game`` (the mix) or ``baseline`` (``me``).
        start: unix seconds from which answers are recorded (before: warm-up); in open loop,
            requests intended from then on.
        end: unix seconds at which the clients stop.
        origin: open loop: unix seconds at which the schedules start (the warm-up's start).
        interval: open loop: seconds between one client's intended sends (clients / rate).
        phases: open loop: one phase per spec, each in ``[0, interval)``, seconds.

    Returns:
        Every answer to a send intended between ``start`` and ``end`` (open loop: latency from
        the intended send time; a late client makes its owed sends during the drain after
        ``end``, and ``unsent`` counts those it had not made by the drain's end).

    Raises:
        ValueError: ``interval`` without ``origin`` and one phase per spec.
    """
    schedules: list[dict[str, float] | None] = [None] * len(specs)
    if interval is not None:
        if origin is None or phases is None or len(phases) != len(specs):
            raise ValueError("an open loop needs origin and one phase per client")
        schedules = [{"origin": origin, "interval": interval, "phase": phase} for phase in phases]
    rec = Recorder()
    client = _rest_client if transport == "rest" else _ws_client
    results = await asyncio.gather(
        *(
            client(base_url, spec, mode, start, end, rec, schedule)
            for spec, schedule in zip(specs, schedules, strict=True)
        ),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            rec.errors[f"client_failed:{type(result).__name__}"] += 1
    return rec


async def run_idle_listeners(
    base_url: str, tokens: list[str], *, start: float, end: float
) -> Recorder:
    """Hold idle WebSocket connections and record event delivery delays.

    Args:
        base_url: the server's root URL.
        tokens: one access token per connection.
        start: unix seconds from which deliveries are recorded.
        end: unix seconds at which the connections close.

    Returns:
        One sample per delivered event: ``receive time - event.at``, seconds.
    """
    from starlane.client.live import LiveConnection

    rec = Recorder()
    lives: list[LiveConnection] = []
    for i in range(0, len(tokens), 50):
        batch = await asyncio.gather(
            *(
                LiveConnection.open(base_url, t, event_queue_size=10_000)
                for t in tokens[i : i + 50]
            ),
            return_exceptions=True,
        )
        for live in batch:
            if isinstance(live, BaseException):
                rec.errors[f"connect_failed:{getattr(live, 'code', type(live).__name__)}"] += 1
            else:
                lives.append(live)

    async def listen(live: LiveConnection) -> None:
        while time.time() < end:
            message = await live.next_event(timeout=max(0.01, end - time.time()))
            if message is None:
                if live.closed:
                    rec.errors[f"closed:{live.close_reason}"] += 1
                    return
                continue
            if message.get("type") != "event":
                continue
            received = time.time()
            at = message.get("event", {}).get("at")
            if at is not None and received >= start:
                rec.record(str(message["event"].get("type")), received - float(at))

    try:
        await asyncio.gather(*(listen(live) for live in lives))
    finally:
        for live in lives:
            with contextlib.suppress(Exception):
                await live.close()
    return rec


def worker(job: dict[str, Any]) -> dict[str, object]:
    """Entry point of a client process: run one job, return its recorder's state.

    Args:
        job: ``{"kind": "clients"|"idle", "base_url", ...}`` (see :mod:`starlane.bench.runner`).

    Returns:
        :meth:`Recorder.to_state` of the samples.
    """
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    if job["kind"] == "idle":
        rec = asyncio.run(
            run_idle_listeners(job["base_url"], job["tokens"], start=job["start"], end=job["end"])
        )
    else:
        rec = asyncio.run(
            run_clients(
                job["base_url"],
                job["specs"],
                transport=job["transport"],
                mode=job["mode"],
                start=job["start"],
                end=job["end"],
                origin=job.get("origin"),
                interval=job.get("interval"),
                phases=job.get("phases"),
            )
        )
    return rec.to_state()
