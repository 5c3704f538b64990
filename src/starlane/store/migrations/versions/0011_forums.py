"""Forums, posts and full-text search.

Adds ``forum_threads`` and ``forum_posts``; for search, on PostgreSQL the posts' ``search``
tsvector column and its GIN index, on SQLite the FTS5 virtual table ``forum_posts_fts``
(columns ``title`` and ``body``, Porter stemming; rowid = post id), kept by
:mod:`starlane.store.forums`.

Revision ID: 0011_forums
Revises: 0010_guilds
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_forums"
down_revision = "0010_guilds"
branch_labels = None
depends_on = None

_FTS = "forum_posts_fts"


def upgrade() -> None:
    """Create the threads, the posts and the search index of this backend."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "forum_threads",
        sa.Column("id", sa.Integer(), sa.Identity(), autoincrement=True, nullable=False),
        sa.Column("board", sa.String(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_post_id", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_post_at", sa.Double(), nullable=False),
        sa.Column("post_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_forum_threads_author_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_threads")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_forum_threads_board_pinned_last_post_id",
        "forum_threads",
        ["board", "pinned", "last_post_id"],
    )
    op.create_table(
        "forum_posts",
        sa.Column("id", sa.Integer(), sa.Identity(), autoincrement=True, nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("edited_at", sa.Double(), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("search", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_forum_posts_author_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_posts_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_posts")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_forum_posts_thread_id"), "forum_posts", ["thread_id"])
    # GIN on PostgreSQL; on SQLite a plain index over a column that stays NULL (FTS5 serves
    # the search there), so both backends have the schema's one metadata.
    op.create_index("ix_forum_posts_search", "forum_posts", ["search"], postgresql_using="gin")
    if sqlite:
        op.execute(
            f"CREATE VIRTUAL TABLE {_FTS} USING fts5(title, body, tokenize='porter unicode61')"
        )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {_FTS}")
    op.drop_index("ix_forum_posts_search", table_name="forum_posts")
    op.drop_index(op.f("ix_forum_posts_thread_id"), table_name="forum_posts")
    op.drop_table("forum_posts")
    op.drop_index("ix_forum_threads_board_pinned_last_post_id", table_name="forum_threads")
    op.drop_table("forum_threads")
