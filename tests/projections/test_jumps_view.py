"""The player view follows jumps (fuel, sector) and the discovery bonus (credits)."""

from __future__ import annotations

from starlane.domain.discovery import RegionFirstVisited
from starlane.domain.jumps import JumpDeparted, PlayerJumped
from starlane.projections.player_view import PLAYER_VIEW_HANDLERS


def test_jumps_and_bonus_update_the_row() -> None:
    rows = {7: {"sector_id": 1, "credits": 10, "cargo": {"fuel": 30, "ore": 2}}}
    jumped = PlayerJumped(
        region_id=1,
        at=0.0,
        player_id=7,
        from_sector_id=1,
        sector_id=9,
        distance=5.0,
        fuel_burned=10,
        fuel_after=20,
        first_visit=True,
    )
    PLAYER_VIEW_HANDLERS[jumped.type](rows, jumped)
    assert rows[7]["sector_id"] == 9 and rows[7]["cargo"] == {"fuel": 20, "ore": 2}
    departed = JumpDeparted(
        region_id=1,
        at=0.0,
        player_id=7,
        transfer_id="t",
        from_sector_id=9,
        to_region_id=3,
        to_sector_id=400,
        distance=10.0,
        fuel_burned=20,
        fuel_after=0,
    )
    PLAYER_VIEW_HANDLERS[departed.type](rows, departed)
    assert rows[7]["cargo"] == {"ore": 2} and rows[7]["sector_id"] == 9
    bonus = RegionFirstVisited(
        region_id=3, at=0.0, player_id=7, sector_id=400, bonus=1_000, credits_after=1_010
    )
    PLAYER_VIEW_HANDLERS[bonus.type](rows, bonus)
    assert rows[7]["credits"] == 1_010
    PLAYER_VIEW_HANDLERS[bonus.type]({}, bonus)  # a player the view does not know: nothing
