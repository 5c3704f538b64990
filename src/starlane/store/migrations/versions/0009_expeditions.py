"""Trade expeditions: saved plans and their legs, projected and actual.

Revision ID: 0009_expeditions
Revises: 0008_scouting
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_expeditions"
down_revision = "0008_scouting"
branch_labels = None
depends_on = None

_BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add ``expeditions`` and ``expedition_legs``."""
    op.create_table(
        "expeditions",
        sa.Column("id", _BigKey, autoincrement=True, nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("start_sector_id", sa.Integer(), nullable=False),
        sa.Column("waypoints", sa.Text(), nullable=False),
        sa.Column("max_turns", sa.Integer(), nullable=True),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("projected_profit", sa.BigInteger(), nullable=False),
        sa.Column("projected_turns", sa.Integer(), nullable=False),
        sa.Column("projected_duration", sa.Double(), nullable=False),
        sa.Column("next_leg", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["accounts.id"],
            name=op.f("fk_expeditions_player_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expeditions")),
    )
    op.create_index(op.f("ix_expeditions_player_id"), "expeditions", ["player_id"])
    op.create_table(
        "expedition_legs",
        sa.Column("expedition_id", _BigKey, nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("port_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("risk", sa.Text(), nullable=False),
        sa.Column("projected_turns", sa.Integer(), nullable=False),
        sa.Column("projected_tolls", sa.BigInteger(), nullable=False),
        sa.Column("projected_credits", sa.BigInteger(), nullable=False),
        sa.Column("projected_trades", sa.Text(), nullable=False),
        sa.Column("actual_turns", sa.Integer(), nullable=True),
        sa.Column("actual_tolls", sa.BigInteger(), nullable=True),
        sa.Column("actual_credits", sa.BigInteger(), nullable=True),
        sa.Column("actual_trades", sa.Text(), nullable=True),
        sa.Column("flown_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expeditions.id"],
            name=op.f("fk_expedition_legs_expedition_id_expeditions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("expedition_id", "leg", name=op.f("pk_expedition_legs")),
    )


def downgrade() -> None:
    """Drop ``expedition_legs`` and ``expeditions``."""
    op.drop_table("expedition_legs")
    op.drop_index(op.f("ix_expeditions_player_id"), table_name="expeditions")
    op.drop_table("expeditions")
