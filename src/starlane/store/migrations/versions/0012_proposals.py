"""Proposals and votes (issue 21, item 3).

Revision ID: 0012_proposals
Revises: 0011_forums
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0012_proposals"
down_revision = "0011_forums"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
