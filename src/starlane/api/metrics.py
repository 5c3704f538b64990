"""Prometheus metrics of one app (its own ``CollectorRegistry``: no global state).

Exported at ``/metrics``:

- ``starlane_http_requests_total{method,route,status}`` and
  ``starlane_http_request_duration_seconds{method,route}`` (route = the path template, so ids
  do not explode the label space);
- ``starlane_commands_total{command,outcome}`` (outcome ``ok`` or the error code);
- ``starlane_websocket_connections`` (open now) and ``starlane_websocket_connections_total``;
- ``starlane_websocket_messages_sent_total{kind}``: ``reply``, ``event`` (one pushed event) and
  ``other`` (hello, ping) sent alone, and ``batch`` (one message carrying several that were
  ready together); ``starlane_websocket_batched_messages_total{kind}`` (``reply``, ``event``,
  ``other``): the messages carried inside ``batch`` messages; and
  ``starlane_websocket_events_pushed_total``: every event pushed, alone or batched;
- ``starlane_projector_running`` and ``starlane_projector_starts_total`` (projector child
  process), or ``starlane_projection_position`` (in-process projections);
- ``starlane_engine_queue_depth{region}``, ``starlane_engine_commit_batch_size{region}`` (last
  group commit), ``starlane_engine_commit_batch_size_max{region}``,
  ``starlane_engine_commits_total{region}``, ``starlane_engine_events_total{region}`` and
  ``starlane_engine_commit_seconds_total{region}`` and
  ``starlane_engine_commits_waited_total{region}``, read from the engines at scrape time;
- on SQLite with WAL checkpoints off the event loop (setting ``sqlite_checkpoint_off_loop``,
  default): ``starlane_store_wal_checkpoints_total``,
  ``starlane_store_wal_checkpoint_seconds_total``,
  ``starlane_store_wal_checkpoint_failures_total``, and ``starlane_store_wal_log_frames`` and
  ``starlane_store_wal_checkpointed_frames`` (the log's size and the part copied at the last
  checkpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from starlane.engine.region import RegionEngine
    from starlane.projections.base import ProjectionRunner
    from starlane.projections.worker import ProjectorProcess
    from starlane.store.walcheckpoint import WalCheckpointer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _EngineCollector(Collector):
    """Reads the region engines' own counters (``RegionEngine.metrics``) at scrape time."""

    def __init__(self, engines: Callable[[], Mapping[int, RegionEngine]]) -> None:
        self._engines = engines

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        depth = GaugeMetricFamily(
            "starlane_engine_queue_depth", "Commands waiting in a region engine", labels=["region"]
        )
        batch = GaugeMetricFamily(
            "starlane_engine_commit_batch_size",
            "Commands in the last group commit of a region engine",
            labels=["region"],
        )
        batch_max = GaugeMetricFamily(
            "starlane_engine_commit_batch_size_max",
            "Most commands in one group commit of a region engine",
            labels=["region"],
        )
        commits = CounterMetricFamily(
            "starlane_engine_commits", "Group commits of a region engine", labels=["region"]
        )
        events = CounterMetricFamily(
            "starlane_engine_events", "Events committed by a region engine", labels=["region"]
        )
        commit_seconds = CounterMetricFamily(
            "starlane_engine_commit_seconds",
            "Seconds a region engine waited for its group commits (divided by the commits: the"
            " mean commit latency)",
            labels=["region"],
        )
        waited = CounterMetricFamily(
            "starlane_engine_commits_waited",
            "Group commits a region engine awaited instead of making at once (SQLite: another"
            " connection was writing; PostgreSQL: all)",
            labels=["region"],
        )
        try:
            engines = self._engines()
        except Exception:
            engines = {}
        for region_id, engine in sorted(engines.items()):
            label = [str(region_id)]
            m = engine.metrics
            depth.add_metric(label, engine.queue_depth)
            batch.add_metric(label, m.last_batch_size)
            batch_max.add_metric(label, m.max_batch_size)
            commits.add_metric(label, m.commits)
            events.add_metric(label, m.events)
            commit_seconds.add_metric(label, m.commit_seconds)
            waited.add_metric(label, m.waited_commits)
        yield from (depth, batch, batch_max, commits, events, commit_seconds, waited)


class WebSocketSends:
    """Counts of WebSocket messages sent, by kind, and of events pushed.

    Plain integers bumped by the WebSocket handlers (all on the event loop thread, so no lock)
    and read at scrape time: a prometheus ``Counter.inc`` takes a lock per call, a measurable
    cost at several messages per game action.

    Attributes:
        reply: replies to client operations sent alone.
        event: events sent alone.
        other: notices (hello, ping) sent alone.
        events_pushed: every event pushed, alone or inside ``batch`` messages.
        batch: ``batch`` messages (several messages ready together; each counts as one sent
            message; its events also count in ``events_pushed``).
        batched_reply: replies carried inside ``batch`` messages (not counted in ``reply``).
        batched_event: events carried inside ``batch`` messages (not counted in ``event``).
        batched_other: notices carried inside ``batch`` messages (not counted in ``other``).
    """

    __slots__ = (
        "batch",
        "batched_event",
        "batched_other",
        "batched_reply",
        "event",
        "events_pushed",
        "other",
        "reply",
    )

    def __init__(self) -> None:
        self.reply = 0
        self.event = 0
        self.other = 0
        self.events_pushed = 0
        self.batch = 0
        self.batched_reply = 0
        self.batched_event = 0
        self.batched_other = 0


class _WebSocketSendCollector(Collector):
    """Exports :class:`WebSocketSends` as counters at scrape time."""

    def __init__(self, sends: WebSocketSends) -> None:
        self._sends = sends

    def collect(self) -> Iterator[CounterMetricFamily]:
        sends = self._sends
        messages = CounterMetricFamily(
            "starlane_websocket_messages_sent",
            "WebSocket messages sent, by kind (reply, event, other sent alone; batch)",
            labels=["kind"],
        )
        for kind in ("reply", "event", "other"):
            messages.add_metric([kind], getattr(sends, kind))
        messages.add_metric(["batch"], sends.batch)
        yield messages
        batched = CounterMetricFamily(
            "starlane_websocket_batched_messages",
            "Messages carried inside WebSocket batch messages, by kind (reply, event, other)",
            labels=["kind"],
        )
        for kind in ("reply", "event", "other"):
            batched.add_metric([kind], getattr(sends, f"batched_{kind}"))
        yield batched
        yield CounterMetricFamily(
            "starlane_websocket_events_pushed",
            "Events pushed over WebSockets, alone or inside batch messages",
            value=sends.events_pushed,
        )


class _ProjectionCollector(Collector):
    """Reads the read-model projections' state at scrape time.

    In ``projector = "process"`` mode: whether the child process runs and how many times it was
    started (more than one: it crashed and was restarted). In ``inline`` mode: the position the
    projections reached.
    """

    def __init__(
        self, projections: Callable[[], ProjectionRunner | ProjectorProcess | None]
    ) -> None:
        self._projections = projections

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            current = self._projections()
        except Exception:
            current = None
        if current is None:
            return
        from starlane.projections.worker import ProjectorProcess

        if isinstance(current, ProjectorProcess):
            yield GaugeMetricFamily(
                "starlane_projector_running",
                "1 while the projector child process runs",
                value=1 if current.running else 0,
            )
            yield CounterMetricFamily(
                "starlane_projector_starts",
                "Times the projector child process was started (restarts after crashes)",
                value=current.starts,
            )
        else:
            yield GaugeMetricFamily(
                "starlane_projection_position",
                "Global event position every in-process projection has applied",
                value=current.position,
            )


class _WalCollector(Collector):
    """Reads the SQLite event store's WAL checkpointer
    (:class:`starlane.store.walcheckpoint.WalCheckpointer`) when there is one."""

    def __init__(self, checkpointer: Callable[[], WalCheckpointer | None]) -> None:
        self._checkpointer = checkpointer

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            checkpointer = self._checkpointer()
        except Exception:
            checkpointer = None
        if checkpointer is None:
            return
        yield CounterMetricFamily(
            "starlane_store_wal_checkpoints",
            "Checkpoints of the SQLite write-ahead log run in the checkpointer's thread",
            value=checkpointer.checkpoints,
        )
        yield CounterMetricFamily(
            "starlane_store_wal_checkpoint_seconds",
            "Seconds spent in those checkpoints, in the checkpointer's thread",
            value=checkpointer.checkpoint_seconds,
        )
        yield GaugeMetricFamily(
            "starlane_store_wal_log_frames",
            "Frames (pages) in the SQLite write-ahead log at the last checkpoint",
            value=checkpointer.log_frames,
        )
        yield GaugeMetricFamily(
            "starlane_store_wal_checkpointed_frames",
            "Of those, the frames the last checkpoint left copied into the database file",
            value=checkpointer.copied_frames,
        )
        yield CounterMetricFamily(
            "starlane_store_wal_checkpoint_failures",
            "Checkpoints that failed (the log grows until one succeeds)",
            value=checkpointer.failures,
        )


class Metrics:
    """The app's metrics and the ASGI middleware that records requests.

    Args:
        engines: returns the region engines (``GalaxyService.engines``) at scrape time.
        projections: returns the projector process or the in-process projections, or None.
        checkpointer: returns the SQLite event store's WAL checkpointer, or None (PostgreSQL,
            or checkpoints left to SQLite).
    """

    def __init__(
        self,
        engines: Callable[[], Mapping[int, RegionEngine]],
        projections: Callable[[], ProjectionRunner | ProjectorProcess | None] | None = None,
        checkpointer: Callable[[], WalCheckpointer | None] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "starlane_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "starlane_http_request_duration_seconds",
            "HTTP request latency by route template, seconds",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.commands = Counter(
            "starlane_commands",
            "Game commands by type and outcome (ok or the error code)",
            ["command", "outcome"],
            registry=self.registry,
        )
        self._command_children: dict[tuple[str, str], Any] = {}
        self.ws_open = Gauge(
            "starlane_websocket_connections",
            "WebSocket connections open now",
            registry=self.registry,
        )
        self.ws_total = Counter(
            "starlane_websocket_connections_opened",
            "WebSocket connections accepted",
            registry=self.registry,
        )
        self.ws_sends = WebSocketSends()
        self.registry.register(_WebSocketSendCollector(self.ws_sends))
        self.registry.register(_EngineCollector(engines))
        if projections is not None:
            self.registry.register(_ProjectionCollector(projections))
        if checkpointer is not None:
            self.registry.register(_WalCollector(checkpointer))

    def record_command(self, command: str, outcome: str) -> None:
        """Count one game command.

        Args:
            command: the command name (``move``, ``trade``...).
            outcome: ``ok`` or the error code.
        """
        child = self._command_children.get((command, outcome))
        if child is None:  # labels() validates and locks on every call: look it up once
            child = self._command_children[(command, outcome)] = self.commands.labels(
                command, outcome
            )
        child.inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric.

        Returns:
            The body for ``/metrics``.
        """
        return generate_latest(self.registry)
