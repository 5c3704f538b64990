"""The benchmark's report: open-loop rows are named by their offered rate and explained."""

from __future__ import annotations

from rich.console import Console

from starlane.bench.report import (
    offered_label,
    print_report,
    reference_line,
    report_data,
    rule_refusal_codes,
    split_errors,
)
from starlane.bench.runner import BenchConfig
from starlane.bench.stats import Recorder


def test_offered_rates_are_written_readably() -> None:
    assert offered_label(2000.0) == "2,000"
    assert offered_label(5000) == "5,000"
    assert offered_label(12.5) == "12.5"
    assert offered_label(0.25) == "0.25"


def test_the_report_shows_open_loop_rows_and_explains_both_kinds() -> None:
    closed, open_ = Recorder(), Recorder()
    closed.record("move", 0.05)
    closed.record("trade", 0.01, "port_out_of_stock")
    closed.record("trade", 0.01, "http_500")
    open_.record("move", 0.004)
    open_.unsent = 12
    results = [
        closed.summary("REST game mix", 10.0),
        open_.summary("REST game mix, 2,000/s offered", 10.0, offered_rate=2000.0),
    ]
    config = BenchConfig(clients=100, rest_rate=2000.0)
    report = report_data(
        config,
        "http://x",
        results,
        {},
        started_server=True,
        reference=312_345.6,
        reference_end=298_000.4,
    )
    assert report["config"]["rest_rate"] == 2000.0
    assert [w["offered_rate"] for w in report["workloads"]] == [None, 2000.0]
    console = Console(record=True, width=200)
    print_report(console, report, results)
    text = console.export_text()
    assert "REST game mix, 2,000/s offered" in text
    assert "not sent by the end 12" in text
    assert "closed-loop rows" in text and "intended send time" in text
    row = next(line for line in text.splitlines() if line.startswith("│ REST game mix  "))
    cells = [cell.strip() for cell in row.split("│")]
    assert cells[-3:-1] == ["port_out_of_stock 1", "http_500 1"]
    assert report["refusals"]["REST game mix"] == {"port_out_of_stock": 1}
    assert report["unexpected_errors"]["REST game mix"] == {"http_500": 1}
    assert "refused by the rules" in text and "failures (5xx" in text
    assert report["config"]["cpu_reference"] == 312_346
    assert report["config"]["cpu_reference_end"] == 298_000
    assert "single-core reference: 312,346 moves/s decided and evolved at the start" in text
    assert "298,000 at the end" in text
    assert "speed changed" not in text  # -5%: within the drift a shared machine shows


def test_the_reference_line_warns_when_the_machine_slowed_down_under_the_run() -> None:
    steady = reference_line(400_000, 360_000)
    assert "400,000 moves/s decided and evolved at the start, 360,000 at the end" in steady
    assert "speed changed" not in steady
    slowed = reference_line(400_000, 215_000)
    assert "the machine's speed changed by -46% during this run" in slowed
    faster = reference_line(250_000, 400_000)
    assert "changed by +60%" in faster
    alone = reference_line(312_345.6)
    assert "312,346 moves/s decided and evolved at the start (" in alone
    assert "at the end" not in alone and "speed changed" not in alone


def test_rule_refusals_are_the_domain_codes_and_nothing_else() -> None:
    codes = rule_refusal_codes()
    assert {"insufficient_credits", "insufficient_turns", "port_out_of_stock"} <= codes
    assert "domain_error" not in codes
    refusals, failures = split_errors(
        {
            "insufficient_turns": 3,
            "engine_busy": 1,
            "timeout": 2,
            "connection_closed": 1,
            "validation_error": 4,
            "rate_limited": 5,
            "http_502": 1,
        }
    )
    assert refusals == {"insufficient_turns": 3}
    assert set(failures) == {
        "engine_busy",
        "timeout",
        "connection_closed",
        "validation_error",
        "rate_limited",
        "http_502",
    }
