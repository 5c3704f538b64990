"""Where the app runs its projections (``settings.projector``)."""

from __future__ import annotations

from pathlib import Path

from starlane.api.app import create_app
from starlane.projections import ProjectionRunner
from tests.api.conftest import make_settings


async def test_an_in_memory_database_keeps_the_projections_inline(tmp_path: Path) -> None:
    """A child process cannot see an in-memory SQLite database: the app falls back to inline."""
    settings = make_settings(tmp_path, database_url="sqlite:///:memory:", projector="process")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert isinstance(app.state.services.projections, ProjectionRunner)
        assert app.state.services.read_db is app.state.services.db


async def test_projector_off_runs_no_projections(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, projector="off"))
    async with app.router.lifespan_context(app):
        assert app.state.services.projections is None
        assert (
            app.state.services.read_db is not app.state.services.db
        )  # SQLite: the read models' own file
    assert (tmp_path / "starlane-read.db").exists()  # migrated for a projector run elsewhere
