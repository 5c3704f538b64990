"""Initial schema: catalogue, event store, snapshots, accounts, tokens, projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("sector_count", sa.Integer(), nullable=False),
        sa.Column("first_sector_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("params", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
    )
    op.create_table(
        "events",
        sa.Column("position", _BigKey, autoincrement=True, nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("recorded_at", sa.Double(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_events")),
        sa.UniqueConstraint("region_id", "seq", name=op.f("uq_events_region_id_seq")),
    )
    op.create_table(
        "snapshots",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("region_id", "seq", name=op.f("pk_snapshots")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("username_key", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("roles", sa.String(), server_default=sa.text("'player'"), nullable=False),
        sa.Column("membership", sa.String(), server_default=sa.text("'free'"), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("username_key", name=op.f("uq_accounts_username_key")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(), nullable=False),
        sa.Column("issued_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.Column("replaced_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_refresh_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(
        op.f("ix_refresh_tokens_account_id"), "refresh_tokens", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False
    )
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projection_checkpoints")),
    )
    op.create_table(
        "player_view",
        sa.Column("player_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("turns_at", sa.Double(), nullable=False),
        sa.Column("ship_type", sa.String(), nullable=False),
        sa.Column("ship_name", sa.String(), nullable=False),
        sa.Column("holds", sa.Integer(), nullable=False),
        sa.Column("fighters", sa.Integer(), nullable=False),
        sa.Column("shields", sa.Integer(), nullable=False),
        sa.Column("hull", sa.Integer(), nullable=False),
        sa.Column("cargo", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("membership", sa.String(), nullable=False),
        sa.Column("updated_position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_player_view")),
    )
    op.create_index(op.f("ix_player_view_region_id"), "player_view", ["region_id"], unique=False)
    op.create_table(
        "activity",
        sa.Column("id", _BigKey, autoincrement=True, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(op.f("ix_activity_at"), "activity", ["at"], unique=False)
    op.create_index(op.f("ix_activity_player_id"), "activity", ["player_id"], unique=False)
    op.create_index(
        op.f("ix_activity_region_id_sector_id"),
        "activity",
        ["region_id", "sector_id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop every table of the first schema."""
    for index, table in (
        ("ix_activity_region_id_sector_id", "activity"),
        ("ix_activity_player_id", "activity"),
        ("ix_activity_at", "activity"),
        ("ix_player_view_region_id", "player_view"),
        ("ix_refresh_tokens_family_id", "refresh_tokens"),
        ("ix_refresh_tokens_account_id", "refresh_tokens"),
    ):
        op.drop_index(op.f(index), table_name=table)
    for table in (
        "activity",
        "player_view",
        "projection_checkpoints",
        "refresh_tokens",
        "accounts",
        "snapshots",
        "events",
        "regions",
    ):
        op.drop_table(table)
