"""Forums, posts and full-text search (issue 21, item 2).

Revision ID: 0011_forums
Revises: 0010_guilds
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0011_forums"
down_revision = "0010_guilds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
