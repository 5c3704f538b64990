"""``starlane galaxy``: inspect the galaxy a seed and sizes generate, without a server."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.table import Table

from starlane.cli.common import console, fail, settings_from_flags

app = typer.Typer(help="Inspect generated galaxies.", no_args_is_help=True)


@app.command("info")
def info(
    seed: Annotated[int | None, typer.Option(help="Generation seed (default: settings).")] = None,
    nexus_sectors: Annotated[
        int | None, typer.Option("--nexus-sectors", help="Central Nexus sectors, 2,000-5,000.")
    ] = None,
    regions: Annotated[
        int | None, typer.Option("--regions", help="Number of player regions, 0-64.")
    ] = None,
    region_sectors: Annotated[
        int | None, typer.Option("--region-sectors", help="Sectors per player region, 100-1,500.")
    ] = None,
) -> None:
    """Generate the galaxy in memory and print its sizes, ports, planets and connectivity."""
    settings = settings_from_flags(
        seed=seed, nexus_sectors=nexus_sectors, regions=regions, region_sectors=region_sectors
    )
    from starlane.domain.galaxy import galaxy_summary, generate_galaxy

    g = settings.galaxy
    started = time.perf_counter()
    galaxy = generate_galaxy(
        g.seed,
        nexus_sectors=g.nexus_sectors,
        player_region_sizes=[g.region_sectors] * g.player_regions,
    )
    elapsed = time.perf_counter() - started
    summary = galaxy_summary(galaxy)
    rows = _region_rows(summary)
    table = Table(title=f"Galaxy of seed {g.seed} (generated in {elapsed:.2f} s)")
    columns = _columns(rows)
    for column in columns:
        table.add_column(column.replace("_", " "), justify="left" if column in _TEXT else "right")
    all_connected = True
    for row in rows:
        if row.get("strongly_connected") is False:
            all_connected = False
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console.print(table)
    totals = {k: v for k, v in summary.items() if k != "regions" and not isinstance(v, dict | list)}
    if totals:
        console.print("  ".join(f"{k.replace('_', ' ')}: {_cell(v)}" for k, v in totals.items()))
    if all_connected:
        console.print("[green]connectivity: every region is strongly connected[/]")
    else:
        fail("connectivity: a region is NOT strongly connected")


_TEXT = {"name", "kind", "region"}
_PREFERRED = (
    "region_id",
    "id",
    "name",
    "kind",
    "sectors",
    "first_sector_id",
    "ports",
    "stardocks",
    "planets",
    "pirates",
    "hazards",
    "warps",
    "one_way_warps",
    "mean_warps",
    "strongly_connected",
)


def _region_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    regions = summary.get("regions", summary)
    if isinstance(regions, dict):
        rows = []
        for key, value in regions.items():
            if isinstance(value, dict):
                rows.append({"region_id": key, **value} if "region_id" not in value else value)
        return rows
    return [r for r in regions if isinstance(r, dict)]


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in seen and not isinstance(value, dict | list):
                seen.append(key)
    ordered = [c for c in _PREFERRED if c in seen]
    return ordered + [c for c in seen if c not in ordered]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
