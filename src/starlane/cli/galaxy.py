"""``starlane galaxy``: inspect the galaxy a seed and sizes generate, without a server."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich import box
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
    console.print(f"[b]Galaxy of seed {g.seed}[/], generated in {elapsed:.2f} s")
    sizes = _table(_SIZE_COLUMNS)
    warps = _table(_WARP_COLUMNS)
    all_connected = True
    for r in summary["regions"]:
        connected = bool(r.get("strongly_connected"))
        all_connected = all_connected and connected
        last = r["first_sector_id"] + r["sectors"] - 1
        sizes.add_row(
            str(r["id"]),
            str(r["name"]),
            str(r["kind"]),
            f"{r['sectors']:,}",
            f"{r['first_sector_id']:,}-{last:,}",
            f"{r['ports']:,}",
            str(r.get("stardocks", 0)),
            f"{r['planets']:,}",
            f"{r['pirates']:,}",
        )
        warps.add_row(
            str(r["id"]),
            str(r["name"]),
            f"{r.get('warps', 0):,}",
            f"{r.get('one_way', 0):,}",
            f"{r.get('mean_degree', 0):.2f}",
            f"{r.get('hazards', 0):,}",
            "yes" if connected else "[bold red]NO[/]",
        )
    console.print(sizes)
    console.print(warps)
    console.print(
        f"total: {summary['sectors']:,} sectors, {summary['ports']:,} ports, "
        f"{summary['planets']:,} planets, {summary['pirates']:,} pirates"
    )
    console.print(f"fingerprint {str(summary.get('fingerprint', ''))[:16]}")
    if all_connected:
        console.print("[green]connectivity: every region is strongly connected[/]")
    else:
        fail("connectivity: a region is NOT strongly connected")


def _table(columns: tuple[tuple[str, str], ...]) -> Table:
    """A borderless table narrow enough for an 80-column terminal."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0), expand=False)
    for title, justify in columns:
        table.add_column(title, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    return table


_SIZE_COLUMNS = (
    ("#", "right"),
    ("region", "left"),
    ("kind", "left"),
    ("sectors", "right"),
    ("sector ids", "right"),
    ("ports", "right"),
    ("docks", "right"),
    ("planets", "right"),
    ("pirates", "right"),
)

_WARP_COLUMNS = (
    ("#", "right"),
    ("region", "left"),
    ("warps", "right"),
    ("one-way", "right"),
    ("warps/sector", "right"),
    ("hazards", "right"),
    ("strongly connected", "left"),
)
