"""The state of the game world: galaxy, regions, sectors, ports, players, ships.

These are plain mutable dataclasses (``slots=True``) held in memory by a region's engine and
changed only by :func:`starlane.domain.rules.evolve`. Every entity carries its ``region_id``:
multi-regional play is the point of Starlane. Identifiers:

- a **region id** is a small integer (1 = Terran Space, 2 = Central Nexus, 3+ = player regions);
- a **sector id** is global across the galaxy (Sol is sector 1); ``number`` is the sector's
  number inside its region, starting at 1;
- a **port id** equals the id of the sector it stands in (at most one port per sector);
- a **player id** equals the account id that owns the player.

Times are unix seconds (float) passed in by the caller; the domain never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlane.domain.data import (
    DEFAULT_RULES,
    SHIP_TYPES,
    GameRules,
    Hazard,
    Immigration,
    Membership,
    RegionKind,
    ShipType,
)

TERRAN_REGION_ID = 1
NEXUS_REGION_ID = 2
FIRST_PLAYER_REGION_ID = 3
SOL_SECTOR_ID = 1


@dataclass(slots=True)
class GateLink:
    """A warp gate from a sector of one region to a sector of another.

    Attributes:
        to_region_id: the region the gate leads to.
        to_sector_id: the global id of the sector the gate arrives in.
        toll: credits charged on passage on top of the destination region's toll (player-built
            gates carry their owner's toll; the network gates carry 0).
        owner_id: the player who built the gate, or None for the platform's gate network.
    """

    to_region_id: int
    to_sector_id: int
    toll: int = 0
    owner_id: int | None = None


@dataclass(slots=True)
class Sector:
    """A sector: a node of its region's warp graph.

    Attributes:
        id: global sector id.
        region_id: the region the sector belongs to.
        number: the sector's number inside its region (1-based).
        x, y, z: coordinates for maps and jump distances (coordinate units).
        cluster: index of the sector's cluster (about 25 neighbouring sectors) in its region.
        hazard: a nebula or asteroid field, or None.
        warps: global ids of sectors reachable in one move (one-way warps appear only here,
            at their source).
        district: the Nexus district key, None outside the Nexus.
        piracy: NPC piracy level, 0 (none) to 5.
        gate: a warp gate to another region standing in this sector, if any.
        planet_ids: ids of planets in this sector.
    """

    id: int
    region_id: int
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: Hazard | None = None
    warps: list[int] = field(default_factory=list)
    district: str | None = None
    piracy: int = 0
    gate: GateLink | None = None
    planet_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PortStock:
    """A port's holding of one commodity.

    For a commodity the port sells, ``quantity`` is stock on hand; for one it buys, it is demand
    still open. Fill ratio ``r = quantity / capacity``.

    Attributes:
        quantity: units, possibly fractional between trades because regeneration is lazy;
            only whole units trade.
        capacity: units at full fill.
    """

    quantity: float
    capacity: int


@dataclass(slots=True)
class Port:
    """A trading port (or a StarDock) in a sector.

    Attributes:
        id: the port id, equal to ``sector_id``.
        region_id: the region of the port.
        sector_id: the sector the port stands in.
        name: display name.
        port_class: the class number, a key of ``PORT_CLASSES``.
        stock: commodity key -> holding, for every commodity the class trades.
        updated_at: unix seconds up to which regeneration has been applied.
        credits: the port's ledger: credits received from players minus credits paid to them.
    """

    id: int
    region_id: int
    sector_id: int
    name: str
    port_class: int
    stock: dict[str, PortStock] = field(default_factory=dict)
    updated_at: float = 0.0
    credits: int = 0


@dataclass(slots=True)
class Planet:
    """A planet in a sector (static scenery for now: colonisation comes later).

    Attributes:
        id: planet id, unique in the galaxy.
        region_id: the region of the planet.
        sector_id: the sector of the planet.
        name: display name.
        kind: planet class letter (``"M"`` earth-like, ``"L"`` mountainous, ``"O"`` oceanic,
            ``"K"`` desert, ``"H"`` volcanic, ``"U"`` gaseous, ``"C"`` glacial).
    """

    id: int
    region_id: int
    sector_id: int
    name: str
    kind: str


@dataclass(slots=True)
class Pirate:
    """An NPC pirate ship haunting a sector.

    Attributes:
        id: pirate id, unique in the galaxy.
        region_id: the region of the pirate.
        sector_id: the sector it haunts.
        name: display name.
        fighters, shields, hull: current combat strength (hull 0 = destroyed).
        max_fighters, max_shields, max_hull: strength it respawns with.
        credits: credits it carries (looted in part by whoever destroys it).
        destroyed_at: unix seconds of its destruction, None while alive; it respawns
            ``GameRules.pirate_respawn_seconds`` later (lazily).
    """

    id: int
    region_id: int
    sector_id: int
    name: str
    fighters: int
    shields: int
    hull: int
    max_fighters: int
    max_shields: int
    max_hull: int
    credits: int = 0
    destroyed_at: float | None = None


@dataclass(slots=True)
class Ship:
    """A player's ship.

    Attributes:
        type: a key of ``SHIP_TYPES``.
        name: the name its owner gave it.
        holds: cargo holds (units of cargo it can carry).
        fighters, shields, hull: current combat strength.
        cargo: commodity key -> units carried (only positive entries are kept).
    """

    type: str
    name: str
    holds: int
    fighters: int
    shields: int
    hull: int
    cargo: dict[str, int] = field(default_factory=dict)

    @property
    def spec(self) -> ShipType:
        """The ship's row of ``SHIP_TYPES``."""
        return SHIP_TYPES[self.type]

    @property
    def cargo_units(self) -> int:
        """Units of cargo carried, all commodities together."""
        return sum(self.cargo.values())

    @property
    def free_holds(self) -> int:
        """Holds not taken by cargo."""
        return self.holds - sum(self.cargo.values())

    @classmethod
    def new(cls, type_key: str, name: str) -> Ship:
        """A new ship of a type, fitted as the StarDock sells it.

        Args:
            type_key: a key of ``SHIP_TYPES``.
            name: the ship's name.

        Returns:
            The ship with the type's holds, fighters, shields and hull, and no cargo.

        Raises:
            KeyError: ``type_key`` is not a ship type.
        """
        spec = SHIP_TYPES[type_key]
        return cls(type_key, name, spec.holds, spec.fighters, spec.shields, spec.hull)


@dataclass(slots=True)
class Player:
    """A player as the region they are in holds them.

    Attributes:
        id: player id (= account id).
        name: display name (= username).
        region_id: the region the player is in.
        sector_id: the global id of the sector the player is in.
        credits: credits carried.
        turns: turns available as of ``turns_at`` (regeneration is lazy).
        turns_at: unix seconds up to which turn regeneration has been applied.
        ship: the player's ship.
        membership: free or Galactic Citizen.
        explored: global ids of sectors the player has discovered (visited or scanned).
        last_jump_at: unix seconds of the last Warp Jumper jump, None if never.
        joined_at: unix seconds the player entered the galaxy.
    """

    id: int
    name: str
    region_id: int
    sector_id: int
    credits: int
    turns: int
    turns_at: float
    ship: Ship
    membership: Membership = Membership.FREE
    explored: set[int] = field(default_factory=set)
    last_jump_at: float | None = None
    joined_at: float = 0.0


@dataclass(slots=True)
class SectorDiscovery:
    """Who discovered a sector: the first player who entered it.

    Attributes:
        player_id: the player.
        player_name: their name then.
        at: unix seconds of the discovery.
    """

    player_id: int
    player_name: str
    at: float


@dataclass(slots=True)
class RegionPolicy:
    """The rules a region's governor sets, within the bounds of ``GameRules``.

    Attributes:
        tax_rate: tax on trade value, 0-0.25, paid to the region treasury.
        regen_multiplier: factor on port regeneration, 0.5-2.
        price_multipliers: commodity key -> factor on its base price, 0.8-1.25 (missing = 1).
        immigration: who may enter through a gate.
        pvp: whether players may attack each other (never in Terran Space).
        gate_toll: credits charged for entering through a gate, 0-10,000.
        starting_credits: credits granted to a new citizen of the region.
    """

    tax_rate: float = DEFAULT_RULES.default_tax_rate
    regen_multiplier: float = 1.0
    price_multipliers: dict[str, float] = field(default_factory=dict)
    immigration: Immigration = Immigration.OPEN
    pvp: bool = False
    gate_toll: int = 0
    starting_credits: int = 0


@dataclass(slots=True)
class Stance:
    """One region's stance towards another (:mod:`starlane.domain.diplomacy`).

    Attributes:
        stance: ``allied``, ``neutral`` or ``hostile``.
        refuse_entry: the holding region refuses entry to the other's citizens (hostile only).
        actor_id: the governor who set it.
        at: unix seconds it was set.
    """

    stance: str
    refuse_entry: bool
    actor_id: int
    at: float


@dataclass(slots=True)
class Agreement:
    """A trade agreement between two regions (:mod:`starlane.domain.diplomacy`).

    The proposing region owns it (decides every change); the other holds a mirror copy.

    Attributes:
        id: ``"{owner_region_id}-{n}"``.
        owner_region_id: the proposing region.
        other_region_id: the region asked to accept.
        toll_discount_pct: percent off each region's gate toll for the other's citizens, 0-100.
        tax_discount_pct: percent off each region's trade tax for the other's citizens, 0-100.
        days: how long it runs once accepted, days.
        status: ``proposed``, ``active`` or ``cancelled`` (an active one past ``expires_at``
            is expired).
        proposed_by: the owner's governor who proposed it.
        proposed_at: unix seconds.
        accepted_by: the other region's governor who accepted it, if accepted.
        accepted_at: unix seconds, if accepted.
        expires_at: unix seconds it stops applying (``accepted_at + days``), if accepted.
        cancelled_by: the governor (of either region) who cancelled it, if cancelled.
        cancelled_at: unix seconds, if cancelled.
    """

    id: str
    owner_region_id: int
    other_region_id: int
    toll_discount_pct: int
    tax_discount_pct: int
    days: int
    status: str
    proposed_by: int
    proposed_at: float
    accepted_by: int | None = None
    accepted_at: float | None = None
    expires_at: float | None = None
    cancelled_by: int | None = None
    cancelled_at: float | None = None


@dataclass(slots=True)
class Region:
    """A region's identity and governance.

    Attributes:
        id: region id.
        kind: Terran Space, Central Nexus or a player region.
        name: display name.
        description: governor's description.
        governor_id: player id of the governor; None for platform regions.
        first_sector_id: global id of the region's sector number 1.
        sector_count: number of sectors.
        seed: the generation seed of this region.
        policy: the governor's rules.
        treasury: credits collected from taxes and tolls.
        opened_at: unix seconds the region opened.
        active: False while an operator has suspended it.
        permits: player ids on the region's permit list (admitted under ``permit``).
        citizens: player ids of the region's citizens (admitted under every policy).
        closed: True once the region has closed (it admits no one through its gates).
        closing: True while an operator's closure evacuates the region
            (:mod:`starlane.domain.region_admin`); ``active`` is False meanwhile.
        welcomed: player ids who have ever received this region's starting credits (a
            citizen is welcomed once per region, ever).
        joining: player id -> the region they left as citizens when they became citizens
            here, until that region has removed them (step 2 of the citizenship move).
        citizen_since: citizen's player id -> unix seconds they became a citizen (who may
            vote, :mod:`starlane.domain.proposals`); citizens from before it was recorded
            have no entry.
        stances: other region id -> this region's stance towards it (set by its governor).
        stances_towards: other region id -> that region's stance towards this one (a mirror).
        agreements: agreement id -> trade agreement this region is a party to (its own, or
            a mirror of the other party's).
        first_visitor_id: the player paid this region's discovery bonus (its first visitor
            while it was new), None while none was (:mod:`starlane.domain.discovery`).
        discoveries: sector id -> who discovered it (the first player to enter it), for the
            discovered sectors of the region only (:mod:`starlane.domain.discovery`).
    """

    id: int
    kind: RegionKind
    name: str
    description: str
    governor_id: int | None
    first_sector_id: int
    sector_count: int
    seed: int
    policy: RegionPolicy = field(default_factory=RegionPolicy)
    treasury: int = 0
    opened_at: float = 0.0
    active: bool = True
    permits: list[int] = field(default_factory=list)
    citizens: list[int] = field(default_factory=list)
    closed: bool = False
    closing: bool = False
    welcomed: list[int] = field(default_factory=list)
    joining: dict[int, int] = field(default_factory=dict)
    citizen_since: dict[int, float] = field(default_factory=dict)
    stances: dict[int, Stance] = field(default_factory=dict)
    stances_towards: dict[int, Stance] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    first_visitor_id: int | None = None
    discoveries: dict[int, SectorDiscovery] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``active``, ``suspended`` (by an operator), ``closing`` or ``closed``."""
        if self.closed:
            return "closed"
        if self.closing:
            return "closing"
        return "active" if self.active else "suspended"


@dataclass(slots=True)
class PendingTransfer:
    """A player who left this region through a gate and whose arrival is not yet settled.

    Attributes:
        transfer_id: the saga's idempotent id.
        player: the player as they travel (credits and turns after paying the passage).
        gate_sector_id: the sector they left from (where a compensation puts them back).
        to_region_id: the destination region.
        to_sector_id: the sector the gate arrives in.
        toll: credits paid for the passage, owed to the destination's treasury on arrival
            and refunded on compensation.
        turns_cost: turns the passage cost (refunded on compensation).
        at: unix seconds of the departure.
    """

    transfer_id: str
    player: Player
    gate_sector_id: int
    to_region_id: int
    to_sector_id: int
    toll: int
    turns_cost: int
    at: float


@dataclass(slots=True)
class PendingPayout:
    """Credits taken out of this region's treasury and not yet settled (payout saga step 1).

    Attributes:
        transfer_id: the payout's idempotent id.
        player_id: the player paid (wherever they are).
        amount: credits, > 0.
        reason: why (``withdraw``, ``starting_credits``, ``closure``...).
        at: unix seconds the payout started.
    """

    transfer_id: str
    player_id: int
    amount: int
    reason: str
    at: float


@dataclass(slots=True)
class PlayerGate:
    """A player-built warp gate of this region, from its construction site to its closing.

    The rules are in :mod:`starlane.domain.gates`. States: ``site`` (taking deliveries),
    ``building`` (everything delivered; opens at ``due_at``), ``open`` (a link ``move`` uses),
    ``closed`` (by its owner), ``abandoned`` (by its owner before construction started, refunded)
    and ``failed`` (could no longer complete; refunded).

    Attributes:
        id: gate id, unique in the galaxy (``region_id * 1_000_000 + n``).
        owner_id: the player who built it (receives its tolls).
        region_id: the region it stands in.
        from_sector_id: the sector the gate stands in (global id).
        to_sector_id: the sector it leads to (global id).
        toll: credits charged to each other player on passage, paid to the owner.
        state: one of the states above.
        credits: credits the construction site holds (taken from the owner).
        delivered: commodity key -> units the construction site holds.
        opened_at: unix seconds the site opened.
        due_at: unix seconds construction completes, None before it starts.
        finished_at: unix seconds it opened, closed, was abandoned or failed.
        to_region_id: the region of ``to_sector_id`` when it is another region's (the gate
            is then passed through the travel saga); None inside one region.
    """

    id: int
    owner_id: int
    region_id: int
    from_sector_id: int
    to_sector_id: int
    toll: int
    state: str
    credits: int
    delivered: dict[str, int] = field(default_factory=dict)
    opened_at: float = 0.0
    due_at: float | None = None
    finished_at: float | None = None
    to_region_id: int | None = None


@dataclass(slots=True)
class RegionState:
    """Everything one region engine owns: the unit of consistency and of event sourcing.

    Attributes:
        region: identity and governance.
        sectors: global sector id -> sector.
        ports: port id (= sector id) -> port.
        planets: planet id -> planet.
        pirates: pirate id -> NPC pirate.
        players: player id -> player, for players currently in this region.
        seq: sequence number of the last event applied (0 = freshly generated).
        rules: the rule numbers in force (not persisted in events; set by the server).
        transfers_out: transfer id -> departure through a gate not yet settled (saga step 1).
        transfers_in: transfer id -> ``"arrived"``, or the refusal code, for every arrival this
            region has decided (so a repeated delivery answers the same and changes nothing);
            a treasury payout credited to a player here is recorded as ``"paid"``.
        payouts_out: transfer id -> treasury payout of this region not yet settled.
        payouts_done: transfer id -> outcome (``"paid"`` or ``"returned"``) of every settled
            payout of this region's treasury (a repeated start is a no-op).
        gates: gate id -> player-built warp gate standing in this region (every state, kept
            after it closes: :mod:`starlane.domain.gates`).

    Two derived indexes answer "who is in this sector" without scanning every player and
    pirate of the region (a sector view is the most frequent read): players by sector and
    pirates by sector. They are built on first use, kept up to date by ``evolve`` when a player
    enters the region or moves (:meth:`player_placed`), never persisted, and ignored by ``==``.
    Pirates never change sector once generated.
    """

    region: Region
    sectors: dict[int, Sector] = field(default_factory=dict)
    ports: dict[int, Port] = field(default_factory=dict)
    planets: dict[int, Planet] = field(default_factory=dict)
    pirates: dict[int, Pirate] = field(default_factory=dict)
    players: dict[int, Player] = field(default_factory=dict)
    seq: int = 0
    rules: GameRules = field(default=DEFAULT_RULES)
    transfers_out: dict[str, PendingTransfer] = field(default_factory=dict)
    transfers_in: dict[str, str] = field(default_factory=dict)
    payouts_out: dict[str, PendingPayout] = field(default_factory=dict)
    payouts_done: dict[str, str] = field(default_factory=dict)
    gates: dict[int, PlayerGate] = field(default_factory=dict)
    _players_at: dict[int, dict[int, Player]] | None = field(
        default=None, repr=False, compare=False
    )
    _pirates_at: dict[int, list[Pirate]] | None = field(default=None, repr=False, compare=False)

    @property
    def region_id(self) -> int:
        """The id of the region this state belongs to."""
        return self.region.id

    def players_in(self, sector_id: int) -> list[Player]:
        """The players in a sector, by id.

        Args:
            sector_id: global sector id.

        Returns:
            The players whose ``sector_id`` is ``sector_id`` (empty when none), sorted by id.
        """
        index = self._players_at
        if index is None:
            index = {}
            for player in self.players.values():
                index.setdefault(player.sector_id, {})[player.id] = player
            self._players_at = index
        here = index.get(sector_id)
        return [here[pid] for pid in sorted(here)] if here else []

    def pirates_in(self, sector_id: int) -> list[Pirate]:
        """The NPC pirates based in a sector (alive or not), by id.

        Args:
            sector_id: global sector id.

        Returns:
            The pirates whose ``sector_id`` is ``sector_id`` (empty when none), sorted by id.
        """
        index = self._pirates_at
        if index is None:
            index = {}
            for pirate in sorted(self.pirates.values(), key=lambda p: p.id):
                index.setdefault(pirate.sector_id, []).append(pirate)
            self._pirates_at = index
        return list(index.get(sector_id, ()))

    def player_placed(self, player: Player, from_sector_id: int | None) -> None:
        """Keep the players-by-sector index in step after ``player.sector_id`` was set.

        Called by ``evolve`` only.

        Args:
            player: the player, already in :attr:`players` with its new ``sector_id``.
            from_sector_id: the sector it left, or None when it just entered the region.
        """
        index = self._players_at
        if index is None:
            return  # built on first use
        if from_sector_id is not None:
            left = index.get(from_sector_id)
            if left is not None:
                left.pop(player.id, None)
                if not left:
                    del index[from_sector_id]
        index.setdefault(player.sector_id, {})[player.id] = player

    def player_removed(self, player: Player) -> None:
        """Keep the players-by-sector index in step after a player left the region.

        Called by ``evolve`` only, once the player is no longer in :attr:`players`.

        Args:
            player: the player who left (their ``sector_id`` is the sector they left from).
        """
        index = self._players_at
        if index is None:
            return
        here = index.get(player.sector_id)
        if here is not None:
            here.pop(player.id, None)
            if not here:
                del index[player.sector_id]


@dataclass(slots=True)
class Galaxy:
    """A whole generated galaxy: every region's initial state.

    Attributes:
        seed: the galaxy seed.
        regions: region id -> region state.
    """

    seed: int
    regions: dict[int, RegionState] = field(default_factory=dict)

    def sector(self, sector_id: int) -> Sector:
        """Find a sector anywhere in the galaxy.

        Args:
            sector_id: a global sector id.

        Returns:
            The sector.

        Raises:
            KeyError: no region holds that sector.
        """
        for state in self.regions.values():
            first = state.region.first_sector_id
            if first <= sector_id < first + state.region.sector_count:
                return state.sectors[sector_id]
        raise KeyError(sector_id)
