"""Warp Jumpers and discovery: no table.

Everything this feature keeps is region state, event-sourced like the rest of a region: a
jump is a region event (``player_jumped``) or a saga between two regions (``jump_departed``
then the gate saga's ``transfer_*`` events), the cooldown is the player's ``last_jump_at``,
each sector's discoverer (a sparse map on the region, ``Region.discoveries``) is derived by
``evolve`` from the events that enter it, and a region's first visitor
(``region_first_visited``) is decided by that region's single-writer engine, which makes
"paid exactly once" structural. The snapshots carry the new fields with defaults, so older
snapshots load unchanged. The lists (``/me/discoveries``, ``/discovery/scan``) read the live
region states.

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
    """Nothing to create (see the module docstring)."""


def downgrade() -> None:
    """Nothing to drop."""
