"""Diplomacy and trade agreements (issue 21, item 4).

Revision ID: 0013_diplomacy
Revises: 0012_proposals
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0013_diplomacy"
down_revision = "0012_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
