"""Guilds and guild treasuries (issue 21, item 1).

Revision ID: 0010_guilds
Revises: 0009_expeditions
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0010_guilds"
down_revision = "0009_expeditions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
