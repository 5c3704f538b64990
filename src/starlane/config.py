"""Server configuration: one place, environment variables prefixed ``STARLANE_`` and a TOML file.

Precedence, highest first: arguments passed to :class:`Settings` (the CLI's flags), environment
variables (``STARLANE_DATABASE_URL``, ``STARLANE_PORT``, ...; nested fields use ``__``, e.g.
``STARLANE_RATE__LOGIN_PER_MINUTE``), the TOML file named by ``STARLANE_CONFIG`` (default
``starlane.toml`` in the working directory, if present), then the defaults below. Every setting
is documented in ``docs/operations.md``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from starlane.domain.data import DEFAULT_RULES, GameRules, rules_problems


def default_data_dir() -> Path:
    """The directory for the embedded database and other server files.

    Returns:
        ``$STARLANE_DATA_DIR`` if set, else ``./data`` under the working directory.
    """
    return Path(os.environ.get("STARLANE_DATA_DIR", "data"))


class RateLimits(BaseModel):
    """Rate limits (the ``limits`` library's moving windows).

    Attributes:
        login_per_minute: login and register attempts per minute, per client address and per
            (address, username) pair (never per username alone: nobody can lock a player out).
        ws_connects_per_minute: WebSocket connections per minute per IP.
        commands_per_second: sustained game commands per second per player.
        commands_burst: game commands a player may send in one burst (per ``burst_seconds``).
        burst_seconds: window of the burst limit, seconds.
        storage_url: ``memory://`` (one process) or ``redis://host:port`` (several processes).
        enabled: False turns every limit off (for load benchmarks against your own server).
        forum_posts_per_minute: forum posts (new threads and replies) per minute per account.
        forum_posts_per_hour: forum posts per hour per account.
        trusted_networks: client networks (CIDR) exempt from the *per-address* limits (login,
            register, WebSocket connects and open WebSockets per address); the (address,
            username), per-account and per-player limits still apply. Loopback by default, so
            the bots of ``serve --bots`` and a player on the same machine do not use up each
            other's allowance; ``[]`` limits loopback clients like any other. Behind a reverse
            proxy, list the proxy in ``security.forwarded_allow_ips`` so the client's own
            address (from ``X-Forwarded-For``) is the one limited.
    """

    login_per_minute: int = 5
    ws_connects_per_minute: int = 100
    commands_per_second: int = 10
    commands_burst: int = 20
    burst_seconds: int = 2
    storage_url: str = "memory://"
    enabled: bool = True
    trusted_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    forum_posts_per_minute: int = Field(5, ge=1)
    forum_posts_per_hour: int = Field(60, ge=1)


class SecuritySettings(BaseModel):
    """Limits that keep a hostile client from exhausting the server (``STARLANE_SECURITY__*``).

    Attributes:
        token_check_cache_seconds: how long an account's token version (and disabled flag) is
            cached after it was read, seconds. Revocations made through this server take
            effect at once; ones made by another process (``starlane admin``, a second server)
            within this delay. 0 reads the account on every request.
        ws_max_frame_bytes: largest WebSocket message accepted, bytes; a larger one closes the
            socket with 1009.
        ws_auth_timeout_seconds: a WebSocket not authenticated at the upgrade must send its
            ``auth`` message within this delay, seconds, or is closed with 1008.
        ws_max_auth_frame_bytes: largest first message of a socket not authenticated at the
            upgrade, bytes.
        ws_max_sockets_per_account: WebSockets one account may hold open at once; the next is
            closed with 1008.
        ws_max_connections_per_ip: WebSockets one client address may hold open at once
            (addresses in ``rate.trusted_networks`` are exempt).
        json_max_depth: deepest nesting of a JSON body or WebSocket message accepted.
        forwarded_allow_ips: addresses of reverse proxies whose ``X-Forwarded-For`` is
            believed (``*`` for any, e.g. behind a proxy on a private network); empty (the
            default): the header is ignored and the peer address is the client.
        http_keep_alive_seconds: an idle keep-alive HTTP connection is closed after this
            delay, seconds.
        http_header_timeout_seconds: a connection that has not sent a whole request head
            within this delay is closed, seconds.
        http_max_connections: connections served at once before new ones get 503 (0: no
            limit).
    """

    token_check_cache_seconds: float = Field(1.0, ge=0, le=60)
    ws_max_frame_bytes: int = Field(65_536, ge=1_024, le=16 * 1_048_576)
    ws_auth_timeout_seconds: float = Field(5.0, gt=0, le=60)
    ws_max_auth_frame_bytes: int = Field(4_096, ge=256, le=65_536)
    ws_max_sockets_per_account: int = Field(8, ge=1, le=1_000)
    ws_max_connections_per_ip: int = Field(64, ge=1, le=100_000)
    json_max_depth: int = Field(32, ge=4, le=1_000)
    forwarded_allow_ips: list[str] = Field(default_factory=list)
    http_keep_alive_seconds: float = Field(5.0, gt=0, le=600)
    http_header_timeout_seconds: float = Field(10.0, gt=0, le=600)
    http_max_connections: int = Field(0, ge=0, le=1_000_000)


class ForumSettings(BaseModel):
    """The forums (``docs/forums.md``).

    Attributes:
        edit_seconds: how long an author may edit a post after writing it (15 minutes).
    """

    edit_seconds: float = Field(900.0, ge=0, le=86_400)


class GalaxySettings(BaseModel):
    """The galaxy generated on first start (ignored once the database holds a galaxy).

    Attributes:
        seed: generation seed; the same seed gives the same galaxy.
        nexus_sectors: sectors of the Central Nexus, 2,000-5,000.
        player_regions: number of player regions generated at first start.
        region_sectors: sectors of each of those player regions, 100-1,500.
    """

    seed: int = 2002
    nexus_sectors: int = Field(3_000, ge=2_000, le=5_000)
    player_regions: int = Field(2, ge=0, le=64)
    region_sectors: int = Field(500, ge=100, le=1_500)


def game_rules(overrides: dict[str, Any]) -> GameRules:
    """The game's rule numbers with some overridden (the ``[rules]`` table of the settings).

    Args:
        overrides: rule name -> value, e.g. ``{"start_turns": 5000, "turns_per_day": 2000}``
            (names of :class:`~starlane.domain.data.GameRules`; strings from environment
            variables are converted to the rule's type).

    Returns:
        :data:`~starlane.domain.data.DEFAULT_RULES` with the overrides.

    Raises:
        ValueError: an unknown rule name, a value of the wrong type, or rules that are not
            playable (:func:`~starlane.domain.data.rules_problems`), all listed.
    """
    known = DEFAULT_RULES.__dataclass_fields__
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if not overrides:
        return DEFAULT_RULES
    values = {name: getattr(DEFAULT_RULES, name) for name in known}
    values.update(overrides)
    try:
        rules = TypeAdapter(GameRules).validate_python(values)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"invalid rule value(s): {details}") from None
    problems = rules_problems(rules)
    if problems:
        raise ValueError("unplayable rules: " + "; ".join(problems))
    return rules


class Settings(BaseSettings):
    """All server settings, with their defaults.

    Attributes:
        database_url: SQLAlchemy URL; ``sqlite+aiosqlite:///<data_dir>/starlane.db`` by default,
            ``postgresql+asyncpg://user@host/db`` for PostgreSQL (``sqlite:///`` and
            ``postgresql://`` are accepted and given the async driver).
        host, port: where ``starlane serve`` listens.
        jwt_secret: secret for signing access tokens; generated and stored in the data directory
            on first start when empty.
        access_token_seconds: lifetime of an access token, seconds.
        refresh_token_seconds: lifetime of a refresh token, seconds.
        snapshot_every: write a region snapshot every this many events.
        sqlite_checkpoint_off_loop: on SQLite, WAL checkpoints (copying the write-ahead log into
            the database file, ~4 MB at a time) run in a thread of their own once a second
            instead of inside the group commit, made on the event loop, that crosses SQLite's
            1,000-page threshold and blocks the server meanwhile. Default ``true`` (shorter
            tail latency); ``false`` can give more commits per second to many small ones
            (``docs/performance.md``). No effect on PostgreSQL.
        engine_queue_size: bounded command queue per region engine.
        subscriber_queue_size: bounded event queue per bus subscriber (and WebSocket client).
        admin_username, admin_password: when both are set, an admin account is created on start
            if missing (never with a default password).
        log_level: ``debug``, ``info``, ``warning`` or ``error``.
        log_json: one JSON object per log line (else human-readable console lines).
        password_hash_time_cost: argon2id iterations of password hashes.
        password_hash_memory_kib: argon2id memory of password hashes, KiB.
        ws_heartbeat_seconds: seconds between the WebSocket server's ``ping`` messages.
        max_request_body_bytes: largest HTTP request body accepted, bytes; a larger one is
            refused with 413 ``too_large`` before it is read in full (the API's largest
            legitimate bodies are a few hundred bytes; WebSocket messages have their own limit
            of 65,536 characters).
        read_database_url: where the read models (projection tables ``player_view``,
            ``activity`` and their checkpoints) are written. Empty: for SQLite a second file
            next to the main one (``starlane-read.db`` beside ``starlane.db``), so projection
            writes never queue behind the event store's commits; for PostgreSQL the main
            database. The read models can be deleted and are rebuilt from the events.
        projector: where the projections run: ``process`` (default: a child process started
            and stopped with the server, ``starlane projector``, following the event store by
            position, so their CPU is off the game's event loop), ``inline`` (a task in the
            server's process, fed by the bus) or ``off`` (run ``starlane projector`` yourself,
            e.g. on another machine).
        security: WebSocket, JSON, token-check, proxy and HTTP-timeout limits
            (:class:`SecuritySettings`).
        rules: overrides of the game's rule numbers (``GAME.md``; names of
            :class:`~starlane.domain.data.GameRules`), e.g. ``{"start_turns": 5000}``. They
            apply to what is decided from then on (new players' turns and credits, prices,
            regeneration...); what was recorded stays as it was. The galaxy-generation numbers
            (``initial_fill``, ``port_capacity_range``) matter only when a galaxy is generated.
        audit_origin: the audit log's name: the origin line of its signed checkpoints and the
            name of its signing key (no ``+``, no spaces; e.g. ``game.example.org/audit``).
        audit_checkpoint_entries: sign a checkpoint once this many entries were added since
            the last one.
        audit_checkpoint_seconds: otherwise, sign one this many seconds after the last one
            when anything was added (and always on shutdown).
        audit_two_person_actions: actions that need a second admin's approval:
            ``roles.grant.admin``, ``roles.revoke.admin``, ``account.delete``,
            ``credits.adjust.large`` (above ``audit_two_person_credit_threshold``),
            ``region.transfer``, ``region.close``.
        audit_two_person_credit_threshold: a credit adjustment whose size (either sign) is
            above this many credits is ``credits.adjust.large``.
        billing_webhook_secret: the Standard Webhooks secret (``whsec_...``) the payment
            provider signs ``POST /api/v1/billing/webhook`` with; empty: the webhook is off
            (answers 503 ``billing_disabled``).
        billing_grace_days: days a Galactic Citizen keeps the tier after ``payment.failed``
            before it lapses (unless renewed).
        regions_per_citizen: regions a Galactic Citizen may own at once.
        vote_seconds: how long the vote on a region's proposal lasts, s (default 72 h).
        vote_min_citizen_days: days a player must have been a region's citizen to vote on
            its proposals (0: every citizen).
        vote_quorum: share of a region's citizens (0-1) that must vote for a proposal's
            vote to count; a simple majority of the votes then decides.
        gate_build_seconds: construction time of a player-built warp gate once everything
            is delivered, seconds (``GameRules.gate_build_seconds``; default 86,400).
        jump_cooldown_seconds: seconds between two Warp Jumper jumps of one player (the rule
            ``jump_cooldown_seconds``; ``rules`` wins when it names it too).
        scout_min_hours: game time a player must have spent in a region over the last 7 days
            before filing a scouting report on it, hours (``docs/scouting.md``).
        scout_credits_per_point: a scouting report's reward per quality point, credits.
        scout_cooldown_seconds: the least time between two reports of one author, seconds.
        scout_gap_cap_seconds: the most one interval between two presence events counts
            toward the time in a region, seconds (an idle player does not scout).
    """

    model_config = SettingsConfigDict(
        env_prefix="STARLANE_",
        env_nested_delimiter="__",
        toml_file=os.environ.get("STARLANE_CONFIG", "starlane.toml"),
        extra="ignore",
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    jwt_secret: str = ""
    access_token_seconds: int = 900
    refresh_token_seconds: int = 14 * 86_400
    snapshot_every: int = 1_000
    sqlite_checkpoint_off_loop: bool = True
    engine_queue_size: int = 10_000
    subscriber_queue_size: int = 1_000
    admin_username: str = ""
    admin_password: str = ""
    log_level: str = "info"
    log_json: bool = False
    password_hash_time_cost: int = Field(3, ge=1, le=20)
    password_hash_memory_kib: int = Field(65_536, ge=64, le=4_194_304)
    ws_heartbeat_seconds: float = Field(20.0, gt=0, le=3_600)
    max_request_body_bytes: int = Field(65_536, ge=1_024, le=64 * 1_048_576)
    read_database_url: str = ""
    projector: Literal["process", "inline", "off"] = "process"
    galaxy: GalaxySettings = Field(default_factory=GalaxySettings)
    rate: RateLimits = Field(default_factory=RateLimits)
    forums: ForumSettings = Field(default_factory=ForumSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    rules: dict[str, Any] = Field(default_factory=dict)
    audit_origin: str = Field("starlane.local/audit", pattern=r"^[^+\s]+$")
    audit_checkpoint_entries: int = Field(1_000, ge=1)
    audit_checkpoint_seconds: float = Field(60.0, gt=0)
    audit_two_person_actions: list[str] = Field(
        default_factory=lambda: [
            "roles.grant.admin",
            "roles.revoke.admin",
            "account.delete",
            "credits.adjust.large",
            "region.transfer",
            "region.close",
        ]
    )
    audit_two_person_credit_threshold: int = Field(100_000, ge=0)
    billing_webhook_secret: str = ""
    billing_grace_days: float = Field(7.0, ge=0, le=365)
    regions_per_citizen: int = Field(1, ge=0, le=1_000)
    vote_seconds: float = Field(259_200.0, gt=0, le=365 * 86_400)
    vote_min_citizen_days: float = Field(7.0, ge=0, le=3_650)
    vote_quorum: float = Field(0.20, ge=0, le=1)
    gate_build_seconds: float = Field(86_400.0, gt=0)
    jump_cooldown_seconds: int = Field(DEFAULT_RULES.jump_cooldown_seconds, ge=0)
    scout_min_hours: float = Field(2.0, ge=0, le=168)
    scout_credits_per_point: int = Field(50, ge=0, le=1_000_000)
    scout_cooldown_seconds: float = Field(21_600.0, ge=0)
    scout_gap_cap_seconds: float = Field(1_800.0, gt=0)

    @field_validator("rules")
    @classmethod
    def _playable_rules(cls, value: dict[str, Any]) -> dict[str, Any]:
        game_rules(value)  # refuse bad rules when the settings load, not at the first command
        return value

    def game_rules(self) -> GameRules:
        """The rule numbers in force: the defaults with :attr:`rules` applied.

        Returns:
            The rules (validated when the settings were loaded); ``gate_build_seconds`` is
            :attr:`gate_build_seconds` unless ``rules`` names it.
        """
        rules = game_rules({"jump_cooldown_seconds": self.jump_cooldown_seconds, **self.rules})
        if "gate_build_seconds" not in self.rules:
            rules = dataclasses.replace(rules, gate_build_seconds=self.gate_build_seconds)
        return rules

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: init arguments, environment, TOML file, defaults."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def resolved_database_url(self) -> str:
        """The database URL with the async driver named.

        Returns:
            ``database_url`` with ``sqlite://`` turned into ``sqlite+aiosqlite://`` and
            ``postgresql://`` into ``postgresql+asyncpg://``; the embedded SQLite file under
            ``data_dir`` when ``database_url`` is empty.
        """
        url = self.database_url or f"sqlite:///{self.data_dir / 'starlane.db'}"
        return normalize_database_url(url)

    def resolved_read_database_url(self) -> str:
        """The read-model database URL with the async driver named.

        Returns:
            ``read_database_url`` when set; else, for a SQLite file ``<dir>/<name>.db``, the
            file ``<dir>/<name>-read.db``; else (PostgreSQL, in-memory SQLite) the main URL.
        """
        if self.read_database_url:
            return normalize_database_url(self.read_database_url)
        main = self.resolved_database_url()
        prefix = "sqlite+aiosqlite:///"
        if not main.startswith(prefix):
            return main
        path = main[len(prefix) :]
        if not path or path == ":memory:" or "?" in path or path.startswith("file:"):
            return main
        p = Path(path)
        return prefix + str(p.with_name(f"{p.stem}-read{p.suffix or '.db'}"))


def normalize_database_url(url: str) -> str:
    """Name the async driver in a database URL.

    Args:
        url: ``sqlite:///path``, ``postgresql://...`` or an URL already naming a driver.

    Returns:
        The URL with ``+aiosqlite`` or ``+asyncpg`` added where no driver was named.

    Raises:
        ValueError: the URL is neither SQLite nor PostgreSQL.
    """
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from every source, with explicit overrides on top.

    Args:
        **overrides: setting name -> value (the CLI's flags); None values are ignored.

    Returns:
        The validated settings.

    Raises:
        pydantic.ValidationError: a setting is out of range or of the wrong type.
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
