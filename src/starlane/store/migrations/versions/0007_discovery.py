"""Warp Jumpers and discovery (issue 20, items 2 and 3).

Revision ID: 0007_discovery
Revises: 0006_gates
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0007_discovery"
down_revision = "0006_gates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
