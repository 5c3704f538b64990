"""Trade expeditions (issue 20, item 5).

Revision ID: 0009_expeditions
Revises: 0008_scouting
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0009_expeditions"
down_revision = "0008_scouting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
