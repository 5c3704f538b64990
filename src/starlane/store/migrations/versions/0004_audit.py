"""The audit log: entries, 256-leaf block roots, signed checkpoints, approvals, membership terms.

Revision ID: 0004_audit
Revises: 0003_security
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_audit"
down_revision = "0003_security"
branch_labels = None
depends_on = None

_BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the audit tables and their search indexes."""
    op.create_table(
        "audit_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target_kind", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("client_address", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("reverts", sa.BigInteger(), nullable=True),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("reverts", name=op.f("uq_audit_entries_reverts")),
    )
    op.create_index(op.f("ix_audit_entries_actor_id_idx"), "audit_entries", ["actor_id", "idx"])
    op.create_index(op.f("ix_audit_entries_action_idx"), "audit_entries", ["action", "idx"])
    op.create_index(
        op.f("ix_audit_entries_target_kind_target_id_idx"),
        "audit_entries",
        ["target_kind", "target_id", "idx"],
    )
    op.create_index(op.f("ix_audit_entries_at"), "audit_entries", ["at"])
    op.create_table(
        "audit_nodes",
        sa.Column("block", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("block", name=op.f("pk_audit_nodes")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", _BigKey, autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(op.f("ix_audit_checkpoints_size"), "audit_checkpoints", ["size"])
    op.create_table(
        "audit_approvals",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target_kind", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.Double(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.Double(), nullable=True),
        sa.Column("decision_justification", sa.Text(), nullable=True),
        sa.Column("request_entry", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_approvals")),
    )
    op.create_index(op.f("ix_audit_approvals_status"), "audit_approvals", ["status"])
    op.create_table(
        "membership_terms",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_membership_terms_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_membership_terms")),
    )


def downgrade() -> None:
    """Drop the audit tables."""
    op.drop_table("membership_terms")
    op.drop_index(op.f("ix_audit_approvals_status"), table_name="audit_approvals")
    op.drop_table("audit_approvals")
    op.drop_index(op.f("ix_audit_checkpoints_size"), table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_nodes")
    for name in ("at", "target_kind_target_id_idx", "action_idx", "actor_id_idx"):
        op.drop_index(op.f(f"ix_audit_entries_{name}"), table_name="audit_entries")
    op.drop_table("audit_entries")
