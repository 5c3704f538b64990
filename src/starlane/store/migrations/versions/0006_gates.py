"""Player-built warp gates: no table.

A gate is part of its region's world: its site, deliveries, construction due time, toll and
state live in the owning region's event-sourced state (``RegionState.gates``, events of
:mod:`starlane.domain.gates`, the region snapshot), and its construction timer is re-armed
from that state at recovery (:mod:`starlane.engine.gates`). Nothing relational to add, so
this revision stays empty and only holds its place in the chain.

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
    """Nothing to add: gates are event-sourced in their region (see the module)."""


def downgrade() -> None:
    """Nothing to drop."""
