"""The region panel and the governor's screen, driven with Textual's pilot in 80 columns.

The game server is real (in-process); ``PATCH /api/v1/regions/{id}/policies`` is another
branch's route, so a fake stands in for it in the client's transport: it refuses a tax rate
above 0.25 as the contract says (422 ``policy_out_of_bounds`` naming the field) and applies
anything else to the live region, as the real route would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from textual.widgets import Input, Select, Static

from starlane.client.governance import (
    GovernorDialog,
    multipliers_text,
    parse_multipliers,
    region_text,
)
from starlane.client.tui import StarlaneApp
from starlane.domain.data import Immigration
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, pane_text, panel, plain, until


class PolicyFake(httpx.AsyncBaseTransport):
    """The app's transport, with a stand-in for the policies route."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inner = httpx.ASGITransport(app=app)
        self.patches: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PATCH" or not request.url.path.endswith("/policies"):
            return await self.inner.handle_async_request(request)
        body = json.loads(await request.aread())
        self.patches.append(body)
        if body.get("tax_rate", 0) > 0.25:
            problem = {
                "type": "https://starlane.dev/problems/policy_out_of_bounds",
                "title": "Policy out of bounds",
                "status": 422,
                "detail": "tax_rate must be between 0 and 0.25",
                "code": "policy_out_of_bounds",
                "context": {"field": "tax_rate", "min": 0, "max": 0.25},
            }
            return httpx.Response(422, json=problem)
        region_id = int(request.url.path.split("/")[-2])
        region = self.app.state.services.galaxy.region_state(region_id).region
        for field, value in body.items():
            if field in ("name", "description"):
                setattr(region, field, value)
            elif field == "immigration":
                region.policy.immigration = Immigration(value)
            else:
                setattr(region.policy, field, value)
        return httpx.Response(200, json={"region_id": region_id, "changed": sorted(body)})


async def save(pilot: Any) -> None:
    """Press Save, once the previous press's animation is over (Textual ignores a click on a
    button during its 0.2 s press animation)."""
    await pilot.pause(0.3)
    await pilot.click("#gov-save")


def test_policy_text_helpers() -> None:
    assert parse_multipliers("fuel=1.1, organics=0.9") == {"fuel": 1.1, "organics": 0.9}
    assert parse_multipliers("  ") == {}
    assert multipliers_text({"organics": 0.9, "fuel": 1.1}) == "fuel=1.1, organics=0.9"
    for bad in ("fuel", "fuel=x", "=1.1"):
        try:
            parse_multipliers(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    closed = {"name": "Old", "kind": "player", "status": "closed", "governor_id": None}
    assert "no policies" in plain(region_text({**closed, "policies": None}))


async def test_region_panel_and_the_governors_screen(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path)) as server:
        fake = PolicyFake(server)
        app = StarlaneApp("http://testserver", transport=fake, live=False)
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "governor_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.region is not None)
            text = plain(panel(app, "#region"))
            assert "Terran Space" in text and "governor none (platform region)" in text
            assert "tax      10.0%" in text and "entry    open, toll 0" in text
            # not the governor: the key does nothing
            await pilot.press("g")
            await pilot.pause(0.1)
            assert len(app.screen_stack) == 1

            region = server.state.services.galaxy.region_state(app.me["region_id"]).region
            region.governor_id = app.me["id"]
            await pilot.press("r")
            await until(pilot, lambda: "governor governor_1" in plain(panel(app, "#region")))
            assert "treasury" in plain(panel(app, "#region"))  # the governor sees it

            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GovernorDialog))
            dialog = app.screen
            assert dialog.query_one(".dialog").region.right <= 80  # fits 80 columns
            assert dialog.query_one("#gov-tax_rate", Input).value == "0.1"
            note = dialog.query_one("#gov-note", Static)

            # nothing changed, then a value that does not parse: nothing is sent
            await save(pilot)
            await until(pilot, lambda: "nothing changed" in str(note.render()))
            dialog.query_one("#gov-gate_toll", Input).value = "lots"
            await save(pilot)
            await until(pilot, lambda: "gate_toll" in str(note.render()))
            assert fake.patches == []

            # out of bounds: the server's refusal is shown in the dialog, which stays open
            dialog.query_one("#gov-gate_toll", Input).value = "250"
            dialog.query_one("#gov-tax_rate", Input).value = "0.5"
            await save(pilot)
            await until(pilot, lambda: "policy_out_of_bounds" in str(note.render()))
            assert "(tax_rate)" in str(note.render()) and app.screen is dialog
            assert fake.patches == [{"tax_rate": 0.5, "gate_toll": 250}]

            # within bounds: only the changed fields go, the panel shows the new policies
            dialog.query_one("#gov-tax_rate", Input).value = "0.15"
            dialog.query_one("#gov-immigration", Select).value = "permit"
            dialog.query_one("#gov-price_multipliers", Input).value = "fuel=1.2"
            await save(pilot)
            await until(pilot, lambda: len(app.screen_stack) == 1)
            assert fake.patches[-1] == {
                "tax_rate": 0.15,
                "gate_toll": 250,
                "immigration": "permit",
                "price_multipliers": {"fuel": 1.2},
            }
            await until(pilot, lambda: "15.0%" in plain(panel(app, "#region")))
            text = plain(panel(app, "#region"))
            assert "entry    permit, toll 250" in text and "fuel=1.2" in text
            assert "policies changed" in pane_text(app)

            # Escape closes the screen without sending anything
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GovernorDialog))
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
            assert len(fake.patches) == 2
