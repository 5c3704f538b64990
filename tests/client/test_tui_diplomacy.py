"""The region panel's relations: stances both ways and trade agreements, in 80 columns."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.diplomacy import diplomacy_lines
from starlane.client.governance import region_text
from starlane.client.tui import StarlaneApp
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, panel, plain, until


def test_relations_lines() -> None:
    assert diplomacy_lines({"id": 3}) == [] and diplomacy_lines({"diplomacy": None}) == []
    region = {
        "id": 3,
        "diplomacy": {
            "stances": [
                {"region_id": 3, "other_region_id": 4, "stance": "hostile", "refuse_entry": True},
                {"region_id": 3, "other_region_id": 5, "stance": "neutral", "refuse_entry": False},
            ],
            "stances_towards": [
                {"region_id": 6, "other_region_id": 3, "stance": "allied", "refuse_entry": False}
            ],
            "agreements": [
                {
                    "id": "6-1",
                    "owner_region_id": 6,
                    "other_region_id": 3,
                    "toll_discount_pct": 50,
                    "tax_discount_pct": 20,
                    "status": "active",
                    "expires_at": 86_400.0 * 365,
                }
            ],
        },
    }
    text = [plain(line) for line in diplomacy_lines(region)]
    assert text == [
        "stance   hostile region 4 (no entry)",
        "towards  allied region 6",
        "trade    region 6: toll -50%, tax -20% (until 1971-01-01, #6-1)",
    ]


async def test_the_region_panel_shows_the_regions_relations(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path)) as server:
        transport = httpx.ASGITransport(app=server)
        app = StarlaneApp("http://testserver", transport=transport, live=False)
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "envoy_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.region is not None)
            assert "stance" not in plain(panel(app, "#region"))
            galaxy = server.state.services.galaxy
            terran = galaxy.region_info(TERRAN_REGION_ID)
            terran.governor_id = app.me["id"]
            await galaxy.diplomacy.set_stance(
                TERRAN_REGION_ID, app.me["id"], NEXUS_REGION_ID, "hostile", True
            )
            await galaxy.diplomacy.propose(
                TERRAN_REGION_ID, app.me["id"], NEXUS_REGION_ID, 25, 10, 7
            )
            await pilot.press("r")
            await until(pilot, lambda: "trade" in plain(panel(app, "#region")))
            text = plain(region_text(app.region or {}))
            assert f"stance   hostile region {NEXUS_REGION_ID} (no entry)" in text
            assert (
                f"trade    region {NEXUS_REGION_ID}: toll -25%, tax -10% (proposed, #1-1)" in text
            )


async def test_the_python_client_sets_stances_and_makes_agreements(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path)) as server:
        transport = httpx.ASGITransport(app=server)
        async with (
            StarlaneClient("http://testserver", transport=transport) as terran,
            StarlaneClient("http://testserver", transport=transport) as nexus,
        ):
            t = await terran.register("envoy_t", PASSWORD)
            n = await nexus.register("envoy_n", PASSWORD)
            galaxy = server.state.services.galaxy
            galaxy.region_info(TERRAN_REGION_ID).governor_id = t["account"]["id"]
            galaxy.region_info(NEXUS_REGION_ID).governor_id = n["account"]["id"]
            stance = await terran.set_stance(TERRAN_REGION_ID, NEXUS_REGION_ID, "allied")
            assert (stance["stance"], stance["refuse_entry"]) == ("allied", False)
            made = await terran.propose_agreement(TERRAN_REGION_ID, NEXUS_REGION_ID, 10, 20, 3)
            try:
                await terran.agreement(made["id"], "accept")
            except ApiError as refused:
                assert refused.code == "forbidden"
            else:
                raise AssertionError("the proposer accepted its own agreement")
            assert (await nexus.agreement(made["id"], "accept"))["status"] == "active"
            assert (await terran.agreement(made["id"], "cancel"))["status"] == "cancelled"
            assert (await nexus.agreement(made["id"]))["cancelled_by"] == t["account"]["id"]
