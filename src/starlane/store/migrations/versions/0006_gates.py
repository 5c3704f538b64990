"""Player-built warp gates (issue 20, item 1).

Revision ID: 0006_gates
Revises: 0005_regions
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0006_gates"
down_revision = "0005_regions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add this feature's tables (none yet: the revision holds its place in the chain)."""


def downgrade() -> None:
    """Drop this feature's tables."""
