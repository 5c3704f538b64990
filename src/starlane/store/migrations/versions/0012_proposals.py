"""Proposals and votes: ``proposals`` and ``proposal_votes``.

Revision ID: 0012_proposals
Revises: 0011_forums
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_proposals"
down_revision = "0011_forums"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the proposals of regions' citizens and their votes."""
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("closes_at", sa.Double(), nullable=False),
        sa.Column("closed_at", sa.Double(), nullable=True),
        sa.Column("yes", sa.Integer(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("citizens", sa.Integer(), nullable=True),
        sa.Column("failure", sa.String(), nullable=True),
        sa.Column("event_position", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_region_id_id", "proposals", ["region_id", "id"])
    op.create_index("ix_proposals_state_closes_at", "proposals", ["state", "closes_at"])
    op.create_table(
        "proposal_votes",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(), nullable=False),
        sa.Column("cast_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_votes_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "voter_id", name=op.f("pk_proposal_votes")),
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_table("proposal_votes")
    op.drop_index("ix_proposals_state_closes_at", table_name="proposals")
    op.drop_index("ix_proposals_region_id_id", table_name="proposals")
    op.drop_table("proposals")
