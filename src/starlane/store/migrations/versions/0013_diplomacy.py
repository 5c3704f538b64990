"""Diplomacy and trade agreements: no table, on purpose.

Stances and trade agreements are relations between two regions that change what a region
decides (who its gates admit, the toll and tax it charges), so they live in the regions'
event-sourced state like the governor's policies: each change is an event of the region that
owns the relation (``stance_set``, ``agreement_changed``) and an idempotent mirror event of
the other (``stance_mirrored``, ``agreement_mirrored``), rebuilt by replay and decided in the
same single-writer step as the passage or trade they affect. A relational table would be a
second copy that a passage could disagree with. Their audit entries go to the audit log's
existing tables. This revision therefore only holds its place in the chain.

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
    """Nothing to add: stances and agreements are region events (see the module)."""


def downgrade() -> None:
    """Nothing to drop."""
