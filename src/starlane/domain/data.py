"""The game's declarative data: commodities, port classes, ship types, region kinds, districts.

Every number in ``GAME.md`` lives here as a row of a table or a field of :class:`GameRules`,
never as a literal scattered through the rules. Adding a ship type is adding a row to
:data:`SHIP_TYPES`; adding a commodity is adding a row to :data:`COMMODITIES`. The tables are
validated when this module is imported (:func:`validate_tables`), so an inconsistent row (a base
price outside its clamp range, a port class trading an unknown commodity, ...) fails loudly at
start-up instead of producing strange prices later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Side(StrEnum):
    """The direction of a trade, seen from the player.

    ``BUY``: the player buys from a port that sells the commodity.
    ``SELL``: the player sells to a port that buys the commodity.
    """

    BUY = "buy"
    SELL = "sell"


class Hardware(StrEnum):
    """StarDock hardware a ship can be fitted with, one unit at a time (``GAME.md``, ships).

    ``FIGHTERS`` up to the ship type's ``max_fighters``, ``HOLDS`` (extra cargo holds) up to its
    ``max_holds``, ``SHIELDS`` (shield points) up to its ``shields``.
    """

    FIGHTERS = "fighters"
    HOLDS = "holds"
    SHIELDS = "shields"


class RegionKind(StrEnum):
    """The three kinds of region in the galaxy (``GAME.md``, Galaxy)."""

    TERRAN = "terran"
    NEXUS = "nexus"
    PLAYER = "player"


class Immigration(StrEnum):
    """A region's immigration policy: who may travel in through a gate."""

    OPEN = "open"
    PERMIT = "permit"
    CLOSED = "closed"


class Membership(StrEnum):
    """A player's membership tier. Galactic Citizens may build gates, own regions and jumpers."""

    FREE = "free"
    CITIZEN = "citizen"


class Hazard(StrEnum):
    """A sector hazard: each end of a warp touching one costs +1 turn."""

    NEBULA = "nebula"
    ASTEROIDS = "asteroids"


@dataclass(frozen=True, slots=True)
class Commodity:
    """A tradeable commodity.

    Attributes:
        key: stable identifier used in commands, events and the API (``"ore"``).
        name: display name.
        base_price: base price in credits per unit.
        min_price: lowest unit price after clamping, credits.
        max_price: highest unit price after clamping, credits.
    """

    key: str
    name: str
    base_price: int
    min_price: int
    max_price: int


COMMODITIES: Final[Mapping[str, Commodity]] = MappingProxyType(
    {
        c.key: c
        for c in (
            Commodity("ore", "Ore", 20, 10, 40),
            Commodity("organics", "Organics", 30, 15, 60),
            Commodity("equipment", "Equipment", 60, 30, 120),
            Commodity("fuel", "Fuel", 25, 12, 50),
            Commodity("luxuries", "Luxuries", 120, 60, 240),
            Commodity("technology", "Technology", 250, 125, 500),
            Commodity("colonists", "Colonists", 50, 25, 100),
        )
    }
)


@dataclass(frozen=True, slots=True)
class PortClass:
    """A port class: which commodities the port buys and which it sells.

    Attributes:
        number: the class number, 0-12 (``GAME.md``, Commodities and ports).
        code: the TradeWars letter code for classes 1-8 (``"BBS"``), else a short name.
        name: display name.
        buys: commodities the port buys from players (it holds open demand for them).
        sells: commodities the port sells to players (it holds stock of them).
        stardock: whether the port is a StarDock (shipyard and hardware).
    """

    number: int
    code: str
    name: str
    buys: tuple[str, ...]
    sells: tuple[str, ...]
    stardock: bool = False

    def trades(self, commodity: str, side: Side) -> bool:
        """Whether a player may trade ``commodity`` here in direction ``side``.

        Args:
            commodity: a commodity key.
            side: the player's side of the trade.

        Returns:
            True when the port sells it (player buys) or buys it (player sells).
        """
        return commodity in (self.sells if side is Side.BUY else self.buys)


def _tw_class(number: int, code: str) -> PortClass:
    triple = ("ore", "organics", "equipment")
    buys = tuple(c for c, letter in zip(triple, code, strict=True) if letter == "B")
    sells = tuple(c for c, letter in zip(triple, code, strict=True) if letter == "S")
    return PortClass(number, code, f"Class {number} ({code})", buys, sells)


PORT_CLASSES: Final[Mapping[int, PortClass]] = MappingProxyType(
    {
        p.number: p
        for p in (
            PortClass(0, "SOL", "Sol", ("luxuries", "technology"), ("colonists", "fuel")),
            _tw_class(1, "BBS"),
            _tw_class(2, "BSB"),
            _tw_class(3, "SBB"),
            _tw_class(4, "SSB"),
            _tw_class(5, "SBS"),
            _tw_class(6, "BSS"),
            _tw_class(7, "SSS"),
            _tw_class(8, "BBB"),
            PortClass(9, "DOCK", "StarDock", (), (), stardock=True),
            PortClass(10, "REF", "Refinery", ("ore",), ("fuel",)),
            PortClass(11, "BAZ", "Bazaar", ("organics", "equipment"), ("luxuries",)),
            PortClass(12, "TECH", "Tech hub", ("luxuries", "equipment"), ("technology",)),
        )
    }
)

#: Port classes placed by random generation (the ordinary trading ports), with weights.
#: Classes 0 (Sol) and 9 (StarDock) are placed deliberately, never at random.
GENERATED_PORT_CLASS_WEIGHTS: Final[Mapping[int, int]] = MappingProxyType(
    {1: 12, 2: 12, 3: 12, 4: 10, 5: 10, 6: 10, 7: 4, 8: 4, 10: 9, 11: 9, 12: 8}
)


@dataclass(frozen=True, slots=True)
class ShipType:
    """A ship type (``GAME.md``, Players, turns, ships).

    Attributes:
        key: stable identifier (``"light_freighter"``).
        name: display name.
        cost: purchase price at a StarDock, credits.
        holds: cargo holds (one unit of any commodity per hold).
        shields: shield points.
        hull: hull points; the ship is destroyed at 0.
        fighters: fighters carried when bought (also the maximum it can carry is
            ``max_fighters``).
        max_fighters: most fighters the ship can carry.
        max_holds: most holds the ship can be extended to at a StarDock.
        move_turns: turns per warp moved (multiplied by the warp's cost).
        citizens_only: only Galactic Citizens may own it.
        purchasable: whether a StarDock sells it (the escape pod is not sold).
        jump_range: straight-line jump range in coordinate units (Warp Jumper only; 0 = none).
    """

    key: str
    name: str
    cost: int
    holds: int
    shields: int
    hull: int
    fighters: int
    max_fighters: int
    max_holds: int
    move_turns: int
    citizens_only: bool = False
    purchasable: bool = True
    jump_range: float = 0.0


SHIP_TYPES: Final[Mapping[str, ShipType]] = MappingProxyType(
    {
        s.key: s
        for s in (
            ShipType("escape_pod", "Escape Pod", 0, 5, 50, 50, 0, 0, 5, 2, purchasable=False),
            ShipType("scout", "Scout", 30_000, 100, 150, 200, 20, 200, 150, 1),
            ShipType("light_freighter", "Light Freighter", 80_000, 500, 300, 400, 50, 500, 750, 1),
            ShipType("cargo_hauler", "Cargo Hauler", 250_000, 1_000, 400, 600, 50, 500, 1_500, 2),
            ShipType("defender", "Defender", 300_000, 400, 700, 800, 500, 5_000, 600, 1),
            ShipType("colony_ship", "Colony Ship", 500_000, 1_000, 400, 600, 50, 500, 1_500, 3),
            ShipType("carrier", "Carrier", 1_500_000, 800, 800, 900, 2_000, 20_000, 1_200, 2),
            ShipType(
                "warp_jumper",
                "Warp Jumper",
                1_000_000,
                500,
                1_000,
                800,
                100,
                1_000,
                750,
                1,
                citizens_only=True,
                jump_range=25.0,
            ),
        )
    }
)

STARTER_SHIP: Final = "light_freighter"
ESCAPE_POD: Final = "escape_pod"


@dataclass(frozen=True, slots=True)
class RegionKindSpec:
    """Sizes and defaults of a region kind.

    Attributes:
        kind: the region kind.
        default_sectors: sectors generated when no size is asked for.
        min_sectors: smallest allowed size.
        max_sectors: largest allowed size.
        pvp_allowed: whether PvP may ever be switched on in a region of this kind.
    """

    kind: RegionKind
    default_sectors: int
    min_sectors: int
    max_sectors: int
    pvp_allowed: bool


REGION_KINDS: Final[Mapping[RegionKind, RegionKindSpec]] = MappingProxyType(
    {
        RegionKind.TERRAN: RegionKindSpec(RegionKind.TERRAN, 300, 300, 300, pvp_allowed=False),
        RegionKind.NEXUS: RegionKindSpec(RegionKind.NEXUS, 3_000, 2_000, 5_000, pvp_allowed=True),
        RegionKind.PLAYER: RegionKindSpec(RegionKind.PLAYER, 500, 100, 1_500, pvp_allowed=True),
    }
)


@dataclass(frozen=True, slots=True)
class District:
    """A Central Nexus district and its share of the Nexus sectors (the 3,000-sector plan).

    Attributes:
        key: stable identifier (``"transit_authority"``).
        name: display name.
        share: fraction of the Nexus sectors, 0-1; all shares sum to 1.
    """

    key: str
    name: str
    share: float


NEXUS_DISTRICTS: Final[tuple[District, ...]] = (
    District("commerce_hub", "Commerce Hub", 600 / 3000),
    District("diplomatic_quarter", "Diplomatic Quarter", 400 / 3000),
    District("transit_authority", "Transit Authority", 500 / 3000),
    District("refugee_assistance", "Refugee Assistance", 300 / 3000),
    District("explorers_guild", "Explorers' Guild", 400 / 3000),
    District("open_space", "Open Space", 800 / 3000),
)


@dataclass(frozen=True, slots=True)
class GameRules:
    """The rule numbers of ``GAME.md`` that are not rows of a table; all have defaults.

    Units are in the field names' docs. A server may override any of them from configuration;
    the domain only ever reads them from the instance it is given.
    """

    # players and turns
    start_credits: int = 10_000  #: credits a new player starts with
    start_turns: int = 1_000  #: turns a new player starts with
    turns_per_day: int = 1_000  #: turn regeneration, turns per 86,400 s
    max_turns: int = 2_000  #: regeneration stops at this many turns
    trade_turns: int = 1  #: turns one trade transaction costs
    attack_turns: int = 5  #: turns an attack costs
    hazard_warp_cost: int = 1  #: extra warp cost per hazard end of a warp
    # economy
    sell_markup: float = 1.10  #: factor on what a player pays at a selling port
    buy_markdown: float = 0.90  #: factor on what a player receives at a buying port
    buy_fill_base: float = 1.5  #: a player pays ``base * (buy_fill_base - fill) * sell_markup``
    sell_fill_base: float = 0.5  #: a player gets ``base * (sell_fill_base + fill) * buy_markdown``
    regen_per_hour: float = 0.05  #: port quantity regenerated per hour, fraction of capacity
    default_tax_rate: float = 0.10  #: platform tax on trade value (Terran Space, Nexus)
    max_trade_units: int = 100_000  #: a larger quantity in one trade is refused as absurd
    # stardock
    fighter_price: int = 100  #: credits per fighter
    hold_price: int = 500  #: credits per extra hold
    shield_price: int = 10  #: credits per shield point restored or added, up to the ship type's
    hull_repair_price: int = 20  #: credits per hull point repaired, up to the ship type's hull
    trade_in_fraction: float = 0.5  #: share of the old ship's cost refunded on a trade-in
    # combat
    max_combat_rounds: int = 10  #: rounds of an attack at most
    fighter_damage: int = 2  #: damage points one fighter deals per round (mean)
    damage_spread: float = 0.5  #: a side's damage per round is drawn in mean * (1 +/- spread)
    fighter_hit_points: int = 1  #: damage points that destroy one fighter
    loot_fraction: float = 0.10  #: share of the loser's carried credits the winner loots
    pirate_respawn_seconds: int = 3_600  #: a destroyed pirate reappears after this long
    # travel
    gate_turns: int = 3  #: turns a gate passage costs (plus the destination's toll)
    discovery_bonus: int = 1_000  #: credits to the first visitor of a newly opened region
    # player-built warp gates (starlane.domain.gates)
    gate_credits: int = 500_000  #: credits a player-built gate costs
    gate_equipment: int = 2_000  #: units of equipment delivered to build a gate
    gate_ore: int = 1_000  #: units of ore delivered to build a gate
    gate_build_seconds: float = 86_400.0  #: construction time once everything is delivered, s
    gate_min_warps: int = 10  #: warps between a gate's two ends in one region, at least
    discovery_window_days: int = 30  #: a region pays the discovery bonus this long after opening
    #: straight-line range of every jump-capable ship, coordinate units (0: each ship type's own
    #: ``jump_range``, the Warp Jumper's 25)
    jump_range: float = 0.0
    jump_fuel_per_unit: float = 2.0  #: fuel units a jump burns per coordinate unit (rounded up)
    jump_cooldown_seconds: int = 3_600  #: seconds between two jumps of one player
    # governor bounds
    max_tax_rate: float = 0.25
    min_regen_multiplier: float = 0.5
    max_regen_multiplier: float = 2.0
    min_price_multiplier: float = 0.8
    max_price_multiplier: float = 1.25
    max_gate_toll: int = 10_000
    max_starting_credits: int = 50_000  #: credits a region may grant each new citizen, at most
    max_region_name_length: int = 40  #: characters of a region's name, at most
    max_region_description_length: int = 2_000  #: characters of a region's description
    #: fraction of a port's capacity it starts with, per class side: stock, open demand.
    #: Ports regenerate toward full, so a new galaxy starts near that steady state, where a
    #: buy-low/sell-high round trip pays (buy at ~0.66x base, sell at ~1.26x base at 0.9 fill).
    initial_fill: tuple[float, float] = (0.9, 0.9)
    #: capacity range of a generated port's commodity, units
    port_capacity_range: tuple[int, int] = (1_000, 5_000)


DEFAULT_RULES: Final = GameRules()

_POSITIVE_RULES: Final = frozenset(
    {
        "turns_per_day",
        "max_turns",
        "max_trade_units",
        "max_combat_rounds",
        "fighter_hit_points",
        "max_region_name_length",
    }
)
_FRACTION_RULES: Final = frozenset(
    {
        "default_tax_rate",
        "max_tax_rate",
        "loot_fraction",
        "trade_in_fraction",
        "damage_spread",
        "regen_per_hour",
    }
)


def rules_problems(rules: GameRules) -> list[str]:
    """What makes a set of rule numbers unplayable (for rules overridden by configuration).

    Checks: every number is >= 0; divisors and limits (``turns_per_day``, ``max_turns``,
    ``max_trade_units``, ``max_combat_rounds``, ``fighter_hit_points``) are >= 1; shares and
    rates (taxes, loot, trade-in, damage spread, regeneration per hour) are <= 1; each
    ``min_*``/``max_*`` governor bound pair is ordered and the default tax within its bound;
    ``initial_fill`` is two fractions in [0, 1]; ``port_capacity_range`` is ``(low, high)``
    with ``1 <= low <= high``.

    Args:
        rules: the rule numbers.

    Returns:
        One message per problem (empty: the rules are playable).
    """
    problems: list[str] = []
    for name in rules.__dataclass_fields__:
        value = getattr(rules, name)
        if isinstance(value, tuple):
            continue
        if value < 0:
            problems.append(f"{name} must be >= 0, not {value}")
        elif name in _POSITIVE_RULES and value < 1:
            problems.append(f"{name} must be >= 1, not {value}")
        elif name in _FRACTION_RULES and value > 1:
            problems.append(f"{name} is a share and must be <= 1, not {value}")
    for low, high in (
        ("min_regen_multiplier", "max_regen_multiplier"),
        ("min_price_multiplier", "max_price_multiplier"),
        ("default_tax_rate", "max_tax_rate"),
    ):
        if getattr(rules, low) > getattr(rules, high):
            problems.append(f"{low} must be <= {high}")
    if len(rules.initial_fill) != 2 or not all(0 <= f <= 1 for f in rules.initial_fill):
        problems.append(f"initial_fill must be two fractions in [0, 1], not {rules.initial_fill}")
    capacity = rules.port_capacity_range
    if len(capacity) != 2 or not 1 <= capacity[0] <= capacity[1]:
        problems.append(
            f"port_capacity_range must be (low, high), 1 <= low <= high, not {capacity}"
        )
    return problems


class DataTableError(ValueError):
    """A data table row is inconsistent (raised at import, so a bad table never ships)."""


def validate_tables() -> None:
    """Check every table for internal consistency.

    Raises:
        DataTableError: a base price outside its clamp range, a port class trading an unknown
            commodity or both buying and selling one, a ship with negative stats, district
            shares that do not sum to 1, or a region kind whose default size is out of bounds.
    """
    for c in COMMODITIES.values():
        if not (0 < c.min_price <= c.base_price <= c.max_price):
            raise DataTableError(f"commodity {c.key}: base price {c.base_price} outside clamp")
    for number, p in PORT_CLASSES.items():
        if number != p.number:
            raise DataTableError(f"port class key {number} != number {p.number}")
        for key in (*p.buys, *p.sells):
            if key not in COMMODITIES:
                raise DataTableError(f"port class {number} trades unknown commodity {key}")
        if set(p.buys) & set(p.sells):
            raise DataTableError(f"port class {number} both buys and sells a commodity")
    for number in GENERATED_PORT_CLASS_WEIGHTS:
        if number not in PORT_CLASSES or PORT_CLASSES[number].stardock:
            raise DataTableError(f"generated port class {number} is not a trading class")
    for s in SHIP_TYPES.values():
        stats = (s.cost, s.holds, s.shields, s.hull, s.fighters, s.move_turns)
        if min(stats) < 0 or s.move_turns < 1 or s.hull < 1:
            raise DataTableError(f"ship {s.key}: negative or zero stats")
        if s.fighters > s.max_fighters or s.holds > s.max_holds:
            raise DataTableError(f"ship {s.key}: starting equipment above its maximum")
    if STARTER_SHIP not in SHIP_TYPES or ESCAPE_POD not in SHIP_TYPES:
        raise DataTableError("starter ship or escape pod missing from SHIP_TYPES")
    if abs(sum(d.share for d in NEXUS_DISTRICTS) - 1.0) > 1e-9:
        raise DataTableError("Nexus district shares do not sum to 1")
    for spec in REGION_KINDS.values():
        if not (spec.min_sectors <= spec.default_sectors <= spec.max_sectors):
            raise DataTableError(f"region kind {spec.kind}: default size out of bounds")


validate_tables()
