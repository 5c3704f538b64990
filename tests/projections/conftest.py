"""Fixtures of the projection tests: the engine tests' databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.engine.conftest import db_engine, db_url, store

__all__ = ["db_engine", "db_url", "store"]
