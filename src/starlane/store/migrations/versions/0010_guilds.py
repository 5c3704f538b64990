"""Guilds and guild treasuries.

Revision ID: 0010_guilds
Revises: 0009_expeditions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_guilds"
down_revision = "0009_expeditions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the guilds, their members, requests and invitations, bans and treasury transfers."""
    op.create_table(
        "guilds",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("tag", sa.String(), nullable=False),
        sa.Column("tag_key", sa.String(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("treasury", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guilds")),
        sa.UniqueConstraint("name_key", name=op.f("uq_guilds_name_key")),
        sa.UniqueConstraint("tag_key", name=op.f("uq_guilds_tag_key")),
    )
    op.create_index(op.f("ix_guilds_leader_id"), "guilds", ["leader_id"])
    op.create_table(
        "guild_members",
        sa.Column("player_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("joined_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"], ["guilds.id"], name=op.f("fk_guild_members_guild_id_guilds")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_guild_members")),
    )
    op.create_index(op.f("ix_guild_members_guild_id"), "guild_members", ["guild_id"])
    op.create_table(
        "guild_requests",
        sa.Column("guild_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"], ["guilds.id"], name=op.f("fk_guild_requests_guild_id_guilds")
        ),
        sa.PrimaryKeyConstraint("guild_id", "player_id", "kind", name=op.f("pk_guild_requests")),
    )
    op.create_index(op.f("ix_guild_requests_player_id"), "guild_requests", ["player_id"])
    op.create_table(
        "guild_bans",
        sa.Column("guild_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("banned_by", sa.Integer(), nullable=False),
        sa.Column("banned_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"], ["guilds.id"], name=op.f("fk_guild_bans_guild_id_guilds")
        ),
        sa.PrimaryKeyConstraint("guild_id", "player_id", name=op.f("pk_guild_bans")),
    )
    op.create_table(
        "guild_transfers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("guild_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guild_transfers")),
    )
    for column in ("guild_id", "player_id", "status"):
        op.create_index(op.f(f"ix_guild_transfers_{column}"), "guild_transfers", [column])


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    for column in ("guild_id", "player_id", "status"):
        op.drop_index(op.f(f"ix_guild_transfers_{column}"), table_name="guild_transfers")
    op.drop_table("guild_transfers")
    op.drop_table("guild_bans")
    op.drop_index(op.f("ix_guild_requests_player_id"), table_name="guild_requests")
    op.drop_table("guild_requests")
    op.drop_index(op.f("ix_guild_members_guild_id"), table_name="guild_members")
    op.drop_table("guild_members")
    op.drop_index(op.f("ix_guilds_leader_id"), table_name="guilds")
    op.drop_table("guilds")
