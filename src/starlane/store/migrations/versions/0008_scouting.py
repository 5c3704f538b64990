"""Scouting reports: the ``scouting_reports`` table and the presence index.

The index ``ix_events_actor_id_region_id_at`` serves the presence query of
:mod:`starlane.store.scouting` (a player's events in one region over a window).

Revision ID: 0008_scouting
Revises: 0007_discovery
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_scouting"
down_revision = "0007_discovery"
branch_labels = None
depends_on = None

_BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the presence index on ``events`` and the ``scouting_reports`` table."""
    op.create_index("ix_events_actor_id_region_id_at", "events", ["actor_id", "region_id", "at"])
    op.create_table(
        "scouting_reports",
        sa.Column("id", _BigKey, autoincrement=True, nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("scouted_seconds", sa.Double(), nullable=False),
        sa.Column("coverage", sa.Double(), nullable=False),
        sa.Column("freshness", sa.Double(), nullable=False),
        sa.Column("breadth", sa.Double(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ports_visited", sa.Text(), nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scouting_reports")),
    )
    op.create_index(op.f("ix_scouting_reports_paid_at"), "scouting_reports", ["paid_at"])
    op.create_index(
        op.f("ix_scouting_reports_region_id_id"), "scouting_reports", ["region_id", "id"]
    )
    op.create_index(
        op.f("ix_scouting_reports_author_id_created_at"),
        "scouting_reports",
        ["author_id", "created_at"],
    )


def downgrade() -> None:
    """Drop the ``scouting_reports`` table and the presence index."""
    op.drop_table("scouting_reports")
    op.drop_index("ix_events_actor_id_region_id_at", table_name="events")
