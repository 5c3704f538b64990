"""A server started on a store written by an earlier version recovers the same galaxy.

The store is ``tests/fixtures/replay_store.sqlite`` (see ``tests/domain/test_fixture_replay.py``
for what it holds); the app migrates it, recovers every region through its engines and must
hold, region by region, the states that earlier code computed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from starlane.api.app import create_app
from tests.api.conftest import make_settings
from tests.domain.test_fixture_replay import EXPECTED, FIXTURES, state_json


async def test_the_server_recovers_the_states_an_earlier_version_stored(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "replay_store.sqlite", tmp_path / "starlane.db")
    app = create_app(make_settings(tmp_path, projector="off"))
    async with app.router.lifespan_context(app):
        service = app.state.services.galaxy
        assert sorted(service.engines) == sorted(int(r) for r in EXPECTED["regions"])
        for region_id, expected in EXPECTED["regions"].items():
            assert state_json(service.region_state(int(region_id))) == expected
