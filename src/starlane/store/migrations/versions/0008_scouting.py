"""Scouting reports (issue 20, item 4).

Revision ID: 0008_scouting
Revises: 0007_discovery
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0008_scouting"
down_revision = "0007_discovery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
