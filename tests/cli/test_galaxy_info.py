"""``starlane galaxy info`` prints sizes, ports, planets and the connectivity check."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from starlane.cli import app
from starlane.domain.galaxy import galaxy_summary, generate_galaxy


def test_galaxy_info_prints_every_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(
        app,
        [
            "galaxy",
            "info",
            "--seed",
            "7",
            "--nexus-sectors",
            "2000",
            "--regions",
            "1",
            "--region-sectors",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    expected = galaxy_summary(generate_galaxy(7, nexus_sectors=2000, player_region_sizes=[100]))
    assert "Terran Space" in result.output and "Central Nexus" in result.output
    for region in expected["regions"]:
        assert region["name"] in result.output
    assert f"total: {expected['sectors']:,} sectors, {expected['ports']:,} ports" in result.output
    assert f"{expected['planets']:,} planets" in result.output
    assert "every region is strongly connected" in result.output
    assert "2,301-2,400" in result.output


@pytest.mark.parametrize("regions", ["2", "8"])
def test_galaxy_info_fits_80_columns(monkeypatch: pytest.MonkeyPatch, regions: str) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, ["galaxy", "info", "--seed", "2002", "--regions", regions])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80, result.output
    assert "…" not in result.output  # nothing cut short to fit
    expected = galaxy_summary(
        generate_galaxy(2002, nexus_sectors=3000, player_region_sizes=[500] * int(regions))
    )
    for region in expected["regions"]:
        row = next(line for line in lines if f" {region['name']} " in line)
        assert f"{region['ports']:,}" in row and f"{region['pirates']:,}" in row
    assert "301-3,300" in result.output  # the Nexus's sector ids, whole
