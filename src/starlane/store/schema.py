"""Every table of the Starlane database, as one SQLAlchemy Core :data:`metadata`.

The names and columns are a contract other packages rely on (the engine, the projections, the
API); the Alembic revisions in :mod:`starlane.store.migrations` create exactly these tables, and
a test compares the migrated database with this metadata so the two never drift.

Tables:

- ``regions``: the galaxy catalogue (one row per region, with its generation parameters).
- ``events``: the event store; ``(region_id, seq)`` is unique, ``position`` is the global,
  monotonically increasing order consumers checkpoint on.
- ``snapshots``: MessagePack snapshots of region state, the latest few per region.
- ``accounts``, ``refresh_tokens``: players' credentials and sessions (not event-sourced).
  Account ids are never reused; ``token_version`` is bumped to refuse every access token
  issued before (logout, password change, disable, role removal, refresh-token reuse).
- ``projection_checkpoints``, ``player_view``, ``activity``: read models fed from the events.
- ``outbox``: relational changes committed by a unit of work (:mod:`starlane.store.uow`), each
  published on the bus after its commit; ``published_at`` stays NULL until it was.
- ``audit_entries``, ``audit_nodes``, ``audit_checkpoints``: the tamper-evident audit log (each
  entry's exact leaf bytes and leaf hash, the root of every complete block of 256 leaves, the
  signed checkpoints); ``audit_approvals``: two-person-rule requests; ``membership_terms``:
  the end of a membership (set by an operator or a billing webhook) and a failed payment's
  grace period.
- ``billing_events``: every billing webhook delivery applied, by its ``webhook-id``.
- ``region_moderators``: the moderators a region's governor appointed.
- ``guilds``, ``guild_members``, ``guild_requests``, ``guild_bans``, ``guild_transfers``: guilds,
  their roles, join requests and invitations, bans, and the treasury's transfers (each deposit or
  withdrawal, pending until its region step is done).
- ``region_hourly``: a read model of each region's traffic and trade per clock hour (arrivals,
  departures, trades, trade value, tax and tolls collected), for the governors' and the
  operators' views.
- ``expeditions``, ``expedition_legs``: saved trade expedition plans, leg by leg, projected
  against actual (:mod:`starlane.store.expeditions`).

Times are unix seconds (double precision). JSON values are stored as text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint and index names, so migrations can name what they alter on every backend."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""All Starlane tables."""

# A 64-bit auto-incremented key; on SQLite it must be ``INTEGER PRIMARY KEY`` (the rowid).
_BigKey = BigInteger().with_variant(Integer(), "sqlite")

regions = Table(
    "regions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String, nullable=False),
    Column("name", String, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("sector_count", Integer, nullable=False),
    Column("first_sector_id", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("params", Text, nullable=False, server_default=text("'{}'")),
    # ``active`` or ``closed``: a closed region stays in the catalogue (its engine is not run).
    Column("status", String, nullable=False, server_default=text("'active'")),
    # The Galactic Citizen who requested a provisioned region (None for generated ones).
    Column("owner_id", Integer, nullable=True, index=True),
)

events = Table(
    "events",
    metadata,
    Column("position", _BigKey, primary_key=True, autoincrement=True),
    Column("region_id", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("at", Double, nullable=False),
    Column("recorded_at", Double, nullable=False),
    Column("payload", Text, nullable=False),
    # The unique constraint's index is the (region_id, seq) index streams are read through.
    UniqueConstraint("region_id", "seq"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("region_id", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("region_id", "seq"),
)

accounts = Table(
    "accounts",
    metadata,
    # Ids are never reused (an account id is a player id in the event log): an identity
    # column on PostgreSQL, ``INTEGER PRIMARY KEY AUTOINCREMENT`` on SQLite.
    Column("id", Integer, Identity(), primary_key=True, autoincrement=True),
    Column("username", String, nullable=False),
    Column("username_key", String, nullable=False, unique=True),
    Column("password_hash", String, nullable=False),
    Column("roles", String, nullable=False, server_default=text("'player'")),
    Column("membership", String, nullable=False, server_default=text("'free'")),
    Column("region_id", Integer, nullable=True),
    Column("created_at", Double, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    # Access tokens carry the version they were issued under; a bump refuses them all.
    Column("token_version", Integer, nullable=False, server_default=text("0")),
    sqlite_autoincrement=True,
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("family_id", String, nullable=False, index=True),
    Column("issued_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("revoked_at", Double, nullable=True),
    Column("replaced_by", String, nullable=True),
)

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String, primary_key=True),
    Column("position", BigInteger, nullable=False),
)

player_view = Table(
    "player_view",
    metadata,
    Column("player_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("region_id", Integer, nullable=False, index=True),
    Column("sector_id", Integer, nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("turns", Integer, nullable=False),
    Column("turns_at", Double, nullable=False),
    Column("ship_type", String, nullable=False),
    Column("ship_name", String, nullable=False),
    Column("holds", Integer, nullable=False),
    Column("fighters", Integer, nullable=False),
    Column("shields", Integer, nullable=False),
    Column("hull", Integer, nullable=False),
    Column("cargo", Text, nullable=False, server_default=text("'{}'")),
    Column("membership", String, nullable=False),
    Column("updated_position", BigInteger, nullable=False),
    Column("updated_at", Double, nullable=False),
)

activity = Table(
    "activity",
    metadata,
    Column("id", _BigKey, primary_key=True, autoincrement=True),
    Column("position", BigInteger, nullable=False),
    Column("player_id", Integer, nullable=True, index=True),
    Column("region_id", Integer, nullable=False),
    Column("sector_id", Integer, nullable=True),
    Column("type", String, nullable=False),
    Column("at", Double, nullable=False, index=True),
    Index(None, "region_id", "sector_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("position", _BigKey, primary_key=True, autoincrement=True),
    Column("kind", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("published_at", Double, nullable=True, index=True),
)

# --- the audit log (see starlane.store.audit and docs/audit.md) ---
audit_entries = Table(
    "audit_entries",
    metadata,
    # ``idx`` is the entry's index in the log (0, 1, 2, ...), gap-free and in commit order.
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("at", Double, nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor_role", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target_kind", String, nullable=False),
    Column("target_id", String, nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("justification", Text, nullable=False),
    Column("client_address", String, nullable=True),
    Column("user_agent", String, nullable=True),
    Column("request_id", String, nullable=True),
    # Unique: an entry is reverted at most once (NULLs do not collide).
    Column("reverts", BigInteger, nullable=True, unique=True),
    Column("leaf", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
    Index(None, "actor_id", "idx"),
    Index(None, "action", "idx"),
    Index(None, "target_kind", "target_id", "idx"),
    Index(None, "at"),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    # The root of the complete block of 256 leaves ``block * 256 .. block * 256 + 255``.
    Column("block", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", _BigKey, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False, index=True),
    Column("root_hash", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

audit_approvals = Table(
    "audit_approvals",
    metadata,
    Column("id", String, primary_key=True),
    Column("action", String, nullable=False),
    Column("target_kind", String, nullable=False),
    Column("target_id", String, nullable=False),
    Column("params", Text, nullable=False),
    Column("justification", Text, nullable=False),
    Column("requested_by", Integer, nullable=False),
    Column("requested_at", Double, nullable=False),
    Column("status", String, nullable=False, index=True),
    Column("decided_by", Integer, nullable=True),
    Column("decided_at", Double, nullable=True),
    Column("decision_justification", Text, nullable=True),
    Column("request_entry", BigInteger, nullable=False),
)

membership_terms = Table(
    "membership_terms",
    metadata,
    # When a paid membership set by an operator ends (unix seconds); no row: no end.
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("expires_at", Double, nullable=True),
    # A failed payment's grace period: membership lapses at this time unless renewed.
    Column("grace_until", Double, nullable=True),
    # Who set the terms last: ``manual`` (an operator) or ``webhook`` (a billing provider).
    Column("source", String, nullable=False, server_default=text("'manual'")),
)

billing_events = Table(
    "billing_events",
    metadata,
    # The Standard Webhooks ``webhook-id``: a delivery seen twice is applied once.
    Column("webhook_id", String, primary_key=True),
    Column("type", String, nullable=False),
    Column("account_id", Integer, nullable=False, index=True),
    Column("period_end", Double, nullable=True),
    Column("received_at", Double, nullable=False, index=True),
    Column("payload", Text, nullable=False),
)

region_moderators = Table(
    "region_moderators",
    metadata,
    Column("region_id", Integer, nullable=False),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("appointed_by", Integer, nullable=False),
    Column("appointed_at", Double, nullable=False),
    PrimaryKeyConstraint("region_id", "account_id"),
)

region_hourly = Table(
    "region_hourly",
    metadata,
    # A read model: one row per region and clock hour (unix seconds of the hour's start).
    Column("region_id", Integer, nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("arrivals", Integer, nullable=False, server_default=text("0")),
    Column("departures", Integer, nullable=False, server_default=text("0")),
    Column("trades", Integer, nullable=False, server_default=text("0")),
    Column("trade_value", BigInteger, nullable=False, server_default=text("0")),
    Column("tax", BigInteger, nullable=False, server_default=text("0")),
    Column("tolls", BigInteger, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("region_id", "hour"),
)

# --- Player-built warp gates: revision 0006_gates ---

# --- Warp Jumpers and discovery: revision 0007_discovery ---

# --- Scouting reports: revision 0008_scouting ---
# The presence query (starlane.store.scouting): a player's events in a region over a window.
# Three columns, not four with ``type``: covering the query would cost every group commit
# about 50 % more index work (benchmarks/bench_scouting_index.py); ``type`` is read per row.
Index("ix_events_actor_id_region_id_at", events.c.actor_id, events.c.region_id, events.c.at)

scouting_reports = Table(
    "scouting_reports",
    metadata,
    Column("id", _BigKey, primary_key=True, autoincrement=True),
    Column("region_id", Integer, nullable=False),
    Column("author_id", Integer, nullable=False),
    Column("kind", String, nullable=False),
    Column("created_at", Double, nullable=False),
    # Game time the author spent in the region over the window, seconds.
    Column("scouted_seconds", Double, nullable=False),
    Column("coverage", Double, nullable=False),
    Column("freshness", Double, nullable=False),
    Column("breadth", Double, nullable=False),
    Column("quality", Integer, nullable=False),
    # The sections (JSON) and the ports the author visited (JSON list).
    Column("body", Text, nullable=False),
    Column("ports_visited", Text, nullable=False),
    # Credits owed (quality x credits per point); ``paid_at`` stays NULL until the region
    # engine recorded the credit (key ``scout-report-<id>``); start-up pays what is left.
    Column("reward", BigInteger, nullable=False),
    Column("paid_at", Double, nullable=True, index=True),
    Index(None, "region_id", "id"),
    Index(None, "author_id", "created_at"),
)


# --- Trade expeditions: revision 0009_expeditions ---
expeditions = Table(
    "expeditions",
    metadata,
    Column("id", _BigKey, primary_key=True, autoincrement=True),
    Column(
        "player_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("status", String, nullable=False),  # planned, flying, finished
    Column("created_at", Double, nullable=False),
    Column("finished_at", Double, nullable=True),
    Column("start_sector_id", Integer, nullable=False),
    Column("waypoints", Text, nullable=False),  # JSON: sector ids as the player listed them
    Column("max_turns", Integer, nullable=True),
    Column("budget", BigInteger, nullable=False),
    Column("exact", Boolean, nullable=False),
    Column("projected_profit", BigInteger, nullable=False),
    Column("projected_turns", Integer, nullable=False),
    Column("projected_duration", Double, nullable=False),
    Column("next_leg", Integer, nullable=False),
)
"""A saved expedition plan and how far it was flown (``next_leg``: legs flown so far)."""

expedition_legs = Table(
    "expedition_legs",
    metadata,
    Column(
        "expedition_id",
        _BigKey,
        ForeignKey("expeditions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("leg", Integer, nullable=False),  # 0-based, in flying order
    Column("sector_id", Integer, nullable=False),
    Column("region_id", Integer, nullable=False),
    Column("port_id", Integer, nullable=True),
    Column("path", Text, nullable=False),  # JSON sector ids
    Column("risk", Text, nullable=False),  # JSON
    Column("projected_turns", Integer, nullable=False),
    Column("projected_tolls", BigInteger, nullable=False),
    Column("projected_credits", BigInteger, nullable=False),
    Column("projected_trades", Text, nullable=False),  # JSON
    Column("actual_turns", Integer, nullable=True),
    Column("actual_tolls", BigInteger, nullable=True),
    Column("actual_credits", BigInteger, nullable=True),
    Column("actual_trades", Text, nullable=True),  # JSON
    Column("flown_at", Double, nullable=True),
    PrimaryKeyConstraint("expedition_id", "leg"),
)
"""One leg of an expedition: projected figures when planned, actual ones once flown."""

# --- Guilds and guild treasuries: revision 0010_guilds ---

guilds = Table(
    "guilds",
    metadata,
    Column("id", Integer, Identity(), primary_key=True, autoincrement=True),
    Column("name", String, nullable=False),
    # Case-folded, inner spaces collapsed (starlane.domain.guilds.name_key): unique.
    Column("name_key", String, nullable=False, unique=True),
    Column("tag", String, nullable=False),
    Column("tag_key", String, nullable=False, unique=True),
    Column("leader_id", Integer, nullable=False, index=True),
    # Whole credits; changed only by guild transfers (starlane.engine.guilds).
    Column("treasury", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", Double, nullable=False),
)

guild_members = Table(
    "guild_members",
    metadata,
    # One guild per player: the player id is the key.
    Column("player_id", Integer, primary_key=True, autoincrement=False),
    Column("guild_id", Integer, ForeignKey("guilds.id"), nullable=False, index=True),
    Column("role", String, nullable=False),
    Column("joined_at", Double, nullable=False),
)

guild_requests = Table(
    "guild_requests",
    metadata,
    # kind ``request`` (a player asks to join) or ``invite`` (an officer invites a player).
    Column("guild_id", Integer, ForeignKey("guilds.id"), nullable=False),
    Column("player_id", Integer, nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("by_id", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    PrimaryKeyConstraint("guild_id", "player_id", "kind"),
)

guild_bans = Table(
    "guild_bans",
    metadata,
    Column("guild_id", Integer, ForeignKey("guilds.id"), nullable=False),
    Column("player_id", Integer, nullable=False),
    Column("banned_by", Integer, nullable=False),
    Column("banned_at", Double, nullable=False),
    PrimaryKeyConstraint("guild_id", "player_id"),
)

guild_transfers = Table(
    "guild_transfers",
    metadata,
    # One row per deposit or withdrawal, its id the region command's idempotency key.
    Column("id", String, primary_key=True),
    Column("guild_id", Integer, nullable=False, index=True),
    Column("player_id", Integer, nullable=False, index=True),
    Column("kind", String, nullable=False),  # deposit | withdraw
    Column("amount", BigInteger, nullable=False),
    # pending -> done | failed (deposit refused by the region) | returned (withdrawal's
    # player in no region: back into the treasury)
    Column("status", String, nullable=False, index=True),
    Column("actor_id", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("finished_at", Double, nullable=True),
    Column("error_code", String, nullable=True),
)

# --- Forums, posts and full-text search: revision 0011_forums ---
# Threads and posts of the boards ``galaxy`` and ``region-{id}`` (starlane.store.forums). A
# post keeps its Markdown source and the sanitised HTML rendered from it. Full-text search:
# on PostgreSQL the ``search`` tsvector (GIN index), written with the post; on SQLite the
# FTS5 virtual table ``forum_posts_fts`` (rowid = post id), created by the revision and kept
# by the repository (it is not in this metadata: :func:`include_name` hides its tables from
# schema comparisons).
forum_threads = Table(
    "forum_threads",
    metadata,
    Column("id", Integer, Identity(), primary_key=True, autoincrement=True),
    Column("board", String, nullable=False),
    Column("author_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("title", String, nullable=False),
    Column("created_at", Double, nullable=False),
    # The newest post's id and time: boards list pinned threads first, then by this id.
    Column("last_post_id", Integer, nullable=False, server_default=text("0")),
    Column("last_post_at", Double, nullable=False),
    Column("post_count", Integer, nullable=False, server_default=text("0")),
    Column("pinned", Boolean, nullable=False, server_default=false()),
    Column("locked", Boolean, nullable=False, server_default=false()),
    Column("hidden", Boolean, nullable=False, server_default=false()),
    Column("hidden_reason", Text, nullable=True),
    Index("ix_forum_threads_board_pinned_last_post_id", "board", "pinned", "last_post_id"),
    sqlite_autoincrement=True,
)

forum_posts = Table(
    "forum_posts",
    metadata,
    Column("id", Integer, Identity(), primary_key=True, autoincrement=True),
    Column(
        "thread_id",
        Integer,
        ForeignKey("forum_threads.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("author_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("edited_at", Double, nullable=True),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("hidden", Boolean, nullable=False, server_default=false()),
    Column("hidden_reason", Text, nullable=True),
    # PostgreSQL full-text document (thread title and body) with its GIN index; on SQLite
    # (FTS5 instead) the column stays NULL and the index is a small plain one, kept so both
    # backends match this metadata.
    Column("search", TSVECTOR().with_variant(Text(), "sqlite"), nullable=True),
    Index("ix_forum_posts_search", "search", postgresql_using="gin"),
    sqlite_autoincrement=True,
)

FORUM_FTS_TABLE = "forum_posts_fts"
"""The SQLite FTS5 table of post search (and the prefix of its shadow tables)."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: leave the SQLite FTS5 tables out of comparisons.

    Args:
        name: the reflected object's name.
        type_: ``table``, ``column``, ``index``...
        parent_names: Alembic's parent names (unused).

    Returns:
        False for ``forum_posts_fts`` and its shadow tables, True for everything else.
    """
    return not (type_ == "table" and name is not None and name.startswith(FORUM_FTS_TABLE))


# --- Proposals and votes: revision 0012_proposals ---

proposals = Table(
    "proposals",
    metadata,
    # A region's citizens' proposal (starlane.store.proposals); ``changes`` is JSON text.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_id", Integer, nullable=False),
    Column("proposer_id", Integer, nullable=False),
    Column("kind", String, nullable=False),
    Column("changes", Text, nullable=False),
    Column("state", String, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("closes_at", Double, nullable=False),
    Column("closed_at", Double, nullable=True),
    Column("yes", Integer, nullable=True),
    Column("no", Integer, nullable=True),
    Column("citizens", Integer, nullable=True),
    Column("failure", String, nullable=True),
    Column("event_position", BigInteger, nullable=True),
    Index("ix_proposals_region_id_id", "region_id", "id"),
    Index("ix_proposals_state_closes_at", "state", "closes_at"),
)

proposal_votes = Table(
    "proposal_votes",
    metadata,
    # One row per (proposal, citizen): a changed vote updates it.
    Column(
        "proposal_id",
        Integer,
        ForeignKey("proposals.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("voter_id", Integer, nullable=False),
    Column("choice", String, nullable=False),
    Column("cast_at", Double, nullable=False),
    PrimaryKeyConstraint("proposal_id", "voter_id"),
)

# --- Diplomacy and trade agreements: revision 0013_diplomacy ---
# No table: stances and agreements are region events in the owning region's state (and an
# idempotent mirror in the other's); see the revision's docstring.
