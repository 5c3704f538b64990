"""Regions as a product: catalogue status and owner, billing, moderators, region_hourly.

Revision ID: 0005_regions
Revises: 0004_audit
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_regions"
down_revision = "0004_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the region catalogue's status and owner, billing events, grace periods, moderators."""
    with op.batch_alter_table("regions") as batch:
        batch.add_column(
            sa.Column("status", sa.String(), server_default=sa.text("'active'"), nullable=False)
        )
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_regions_owner_id"), ["owner_id"])
    with op.batch_alter_table("membership_terms") as batch:
        batch.add_column(sa.Column("grace_until", sa.Double(), nullable=True))
        batch.add_column(
            sa.Column("source", sa.String(), server_default=sa.text("'manual'"), nullable=False)
        )
    op.create_table(
        "billing_events",
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period_end", sa.Double(), nullable=True),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_billing_events")),
    )
    op.create_index(op.f("ix_billing_events_account_id"), "billing_events", ["account_id"])
    op.create_index(op.f("ix_billing_events_received_at"), "billing_events", ["received_at"])
    op.create_table(
        "region_moderators",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("appointed_by", sa.Integer(), nullable=False),
        sa.Column("appointed_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_region_moderators_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", "account_id", name=op.f("pk_region_moderators")),
    )
    op.create_index(op.f("ix_region_moderators_account_id"), "region_moderators", ["account_id"])
    counters = ("arrivals", "departures", "trades", "trade_value", "tax", "tolls")
    op.create_table(
        "region_hourly",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        *(
            sa.Column(
                name,
                sa.BigInteger() if name in ("trade_value", "tax", "tolls") else sa.Integer(),
                server_default=sa.text("0"),
                nullable=False,
            )
            for name in counters
        ),
        sa.PrimaryKeyConstraint("region_id", "hour", name=op.f("pk_region_hourly")),
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_table("region_hourly")
    op.drop_index(op.f("ix_region_moderators_account_id"), table_name="region_moderators")
    op.drop_table("region_moderators")
    op.drop_index(op.f("ix_billing_events_received_at"), table_name="billing_events")
    op.drop_index(op.f("ix_billing_events_account_id"), table_name="billing_events")
    op.drop_table("billing_events")
    with op.batch_alter_table("membership_terms") as batch:
        batch.drop_column("source")
        batch.drop_column("grace_until")
    with op.batch_alter_table("regions") as batch:
        batch.drop_index(op.f("ix_regions_owner_id"))
        batch.drop_column("owner_id")
        batch.drop_column("status")
