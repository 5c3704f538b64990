"""The load benchmark's report: the figures as JSON-ready data and as a printed table.

Used by :func:`starlane.bench.runner.run_benchmark`; the rules' refusals are told apart from
failures here (:func:`split_errors`), and the single-core reference is put beside the figures
(:func:`reference_line`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from starlane.bench.server import BENCH_START_TURNS
from starlane.bench.stats import Summary

if TYPE_CHECKING:
    from starlane.bench.runner import BenchConfig


def rule_refusal_codes() -> frozenset[str]:
    """The error codes of the game rules' refusals (every :class:`DomainError` subclass's code).

    A refused action (``insufficient_credits``, ``port_out_of_stock``...) is the game
    working as designed, and an expected outcome of a trading mix; any other code (a 5xx,
    ``engine_*``, a timeout, a closed connection, a validation or auth error) is a failure.

    Returns:
        The codes.
    """
    from starlane.domain.errors import DomainError

    codes: set[str] = set()
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    codes.discard(DomainError.code)
    return frozenset(codes)


def split_errors(errors: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Split error counts into the rules' refusals and failures.

    Args:
        errors: error code -> count.

    Returns:
        ``(refusals, failures)``, each code -> count.
    """
    refusal = rule_refusal_codes()
    refusals = {c: n for c, n in errors.items() if c in refusal}
    return refusals, {c: n for c, n in errors.items() if c not in refusal}


ROW_KINDS_NOTE = (
    "closed-loop rows (no offered rate): each client sends when its previous answer arrives, "
    "so they show the most the server does and their latency is mostly queueing "
    "(mean = clients / throughput); 'offered' rows: open loop at that rate, latency at that "
    "load measured from each request's intended send time"
)
"""The line under the table that explains the two kinds of rows."""

REFUSALS_NOTE = (
    "'refused by the rules': actions the game refused as designed (a port out of stock, "
    "not enough credits...), expected when many traders share a few ports; 'errors': "
    "failures (5xx, engine, timeouts, closed connections, bad requests)"
)
"""The line under the table that explains its two error columns."""


def offered_label(rate: float) -> str:
    """The offered rate as the report writes it (``2,000``, ``12.5``).

    Args:
        rate: actions per second (> 0).

    Returns:
        Thousands separated, no decimals from 100 up, else up to three significant digits.
    """
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.3g}"


def report_data(
    config: BenchConfig,
    base_url: str,
    results: list[Summary],
    ratios: dict[str, float],
    started_server: bool,
    reference: float | None = None,
    reference_end: float | None = None,
) -> dict[str, Any]:
    """The run's figures as JSON-ready data (what ``--json`` prints).

    Args:
        config: what was measured.
        base_url: the server's root URL.
        results: the workloads' summaries, in order.
        ratios: transport (``rest``, ``ws``) -> game-mix throughput / baseline throughput.
        started_server: whether the benchmark started the server itself.
        reference, reference_end: the single-core reference (moves/s) at the start and the
            end, or None.

    Returns:
        ``{"config", "workloads", "ratio_game_to_baseline", "refusals",
        "unexpected_errors"}``.
    """
    return {
        "config": {
            "clients": config.clients,
            "duration": config.duration,
            "warmup": config.warmup,
            "transport": config.transport,
            "idle_clients": config.idle_clients,
            "rest_rate": config.rest_rate,
            "ws_rate": config.ws_rate,
            "client_processes": config.processes,
            "server": "subprocess: starlane serve, 1 uvicorn worker, temporary SQLite, "
            f"rate limits off, new players start with {BENCH_START_TURNS:,} turns"
            if started_server
            else base_url,
            "cpus": os.cpu_count(),
            "cpu_reference": round(reference) if reference is not None else None,
            "cpu_reference_end": round(reference_end) if reference_end is not None else None,
        },
        "workloads": [r.to_dict() for r in results],
        "ratio_game_to_baseline": {k: round(v, 3) for k, v in ratios.items()},
        "refusals": {r.name: split_errors(r.errors)[0] for r in results},
        "unexpected_errors": {r.name: split_errors(r.errors)[1] for r in results},
    }


def print_report(console: Console, report: dict[str, Any], results: list[Summary]) -> None:
    """Print the figures as a table.

    Args:
        console: where to print.
        report: from :func:`report_data`.
        results: the workloads' summaries.
    """
    cfg = report["config"]
    if not console.is_terminal:
        console.width = max(console.width, 132)
    table = Table(
        title=f"Starlane load benchmark: {cfg['clients']} clients, {cfg['duration']:g} s per "
        f"workload, {cfg['client_processes']} client process(es), {cfg['cpus']} CPUs"
    )
    text_columns = ("workload", "refused by the rules", "errors")
    for column in (
        "workload",
        "actions/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "refused by the rules",
        "errors",
    ):
        table.add_column(column, justify="left" if column in text_columns else "right")
    for r in results:
        refusals, failures = split_errors(r.errors)
        refused = ", ".join(f"{c} {n}" for c, n in sorted(refusals.items(), key=lambda x: -x[1]))
        errors = ", ".join(f"{c} {n}" for c, n in sorted(failures.items(), key=lambda x: -x[1]))
        if r.unsent:
            errors = ", ".join(x for x in (errors, f"not sent by the end {r.unsent}") if x)
        table.add_row(
            r.name,
            f"{r.throughput:,.0f}",
            f"{r.p50 * 1000:.1f}",
            f"{r.p95 * 1000:.1f}",
            f"{r.p99 * 1000:.1f}",
            f"{r.max * 1000:.1f}",
            refused or "none",
            errors or "none",
        )
    console.print(table)
    console.print(ROW_KINDS_NOTE)
    console.print(REFUSALS_NOTE)
    console.print(f"server: {cfg['server']}")
    if cfg.get("cpu_reference"):
        console.print(reference_line(cfg["cpu_reference"], cfg.get("cpu_reference_end")))
    for transport, ratio in report["ratio_game_to_baseline"].items():
        label = "REST" if transport == "rest" else "WebSocket"
        console.print(f"ratio of game-action throughput to baseline ({label}): {ratio:.2f}")
    for r in results:
        if r.by_action and not r.name.startswith("event"):
            mix = ", ".join(
                f"{k} {v / max(r.actions, 1):.0%}" + _action_latency(r, k)
                for k, v in sorted(r.by_action.items())
            )
            console.print(f"  {r.name}: {mix}")


REFERENCE_DRIFT = 0.2
"""Relative change of the single-core reference between the start and the end of a run above
which the report warns that the machine's speed changed under the run."""


def reference_line(start: float, end: float | None = None) -> str:
    """The report's line on the single-core reference, timed at the start and at the end.

    Args:
        start: moves/s decided and evolved before the run loaded the machine.
        end: the same once the workloads are over, or None when it was not timed.

    Returns:
        One line; with a warning when the two differ by more than :data:`REFERENCE_DRIFT`.
    """
    timed = f"{start:,.0f} moves/s decided and evolved at the start"
    if end is not None:
        timed += f", {end:,.0f} at the end"
    line = (
        f"single-core reference: {timed} (bench_rules' move workload: shared machines vary by"
        " tens of percent from hour to hour, so compare runs by it)"
    )
    if end is not None and start > 0 and abs(end - start) / start > REFERENCE_DRIFT:
        line += (
            f"; the machine's speed changed by {(end - start) / start:+.0%} during this run:"
            " its rows were not measured on one machine speed"
        )
    return line


def _action_latency(summary: Summary, action: str) -> str:
    """`` (p50 x, p99 y ms)`` of one action of a workload, or nothing when it has one action."""
    if len(summary.by_action) < 2 or action not in summary.latency_by_action:
        return ""
    p50, p99 = summary.latency_by_action[action]
    return f" (p50 {p50 * 1000:.1f}, p99 {p99 * 1000:.1f} ms)"
