"""The numbers and word lists of galaxy generation (``GAME.md``, Galaxy), as frozen data.

:mod:`starlane.domain.galaxy` reads every share, range and name from :data:`GALAXY_SPEC` (and
the port and region tables of :mod:`starlane.domain.data`); nothing is a literal in the
generator. The placement and warp-graph numbers live in :mod:`starlane.domain.graph`
(:class:`~starlane.domain.graph.LayoutSpec`, :class:`~starlane.domain.graph.WarpSpec`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from starlane.domain.data import NEXUS_DISTRICTS, DataTableError, Hazard, RegionKind
from starlane.domain.graph import DEFAULT_LAYOUT, DEFAULT_WARPS, LayoutSpec, WarpSpec


@dataclass(frozen=True, slots=True)
class PiracySpec:
    """How likely a sector is to harbour NPC pirates, and how bad they are.

    Attributes:
        chance: probability that an eligible sector has a piracy level above 0.
        min_level: lowest level drawn for such a sector (1-5).
        max_level: highest level drawn (1-5).
    """

    chance: float
    min_level: int
    max_level: int


NO_PIRACY: Final = PiracySpec(0.0, 0, 0)


@dataclass(frozen=True, slots=True)
class PirateSpec:
    """Strength of the NPC pirate of a sector, per piracy level (linear in the level).

    Attributes:
        fighters_per_level: fighters per level.
        shields_per_level: shield points per level.
        hull_per_level: hull points per level.
        credits_per_level: range of credits carried per level, inclusive.
        titles: words a pirate's name starts with.
    """

    fighters_per_level: int = 40
    shields_per_level: int = 60
    hull_per_level: int = 80
    credits_per_level: tuple[int, int] = (300, 1_500)
    titles: tuple[str, ...] = ("Corsair", "Raider", "Marauder", "Reaver", "Buccaneer", "Rover")


@dataclass(frozen=True, slots=True)
class GalaxySpec:
    """Everything galaxy generation decides by number or by word list.

    Attributes:
        layout: how sectors are placed in space.
        warps: the shape of the warp graph.
        hazard_fraction: share of a region's sectors with a hazard.
        hazard_weights: relative weights of the hazard kinds.
        hub_district: the Nexus district at its centre, with the StarDock and trade docks.
        transit_district: the Nexus district whose sectors are the gate terminals.
        hazard_free_districts: Nexus districts kept clear of hazards.
        port_fraction: share of a region's sectors with a port (StarDocks and Sol included).
        hub_port_fraction: share of the Nexus commerce hub's sectors with a port (its trade
            docks); the rest of the Nexus gets fewer so the whole stays at ``port_fraction``.
        planet_fraction: share of a region's sectors with at least one planet.
        planets_per_sector_weights: relative weights of 1, 2, ... planets in such a sector.
        planet_kinds: planet class letters and their weights.
        sol_planets: planets of Sol (name, class letter).
        sol_name: name of Sol's port.
        stardock_hops: the Terran StarDock stands this many warps from Sol (inclusive range).
        terran_gate_hops: Terran Space's gate sector stands this many warps from Sol.
        terran_outer_fraction: share of Terran sectors, farthest from Sol, where pirates roam.
        terran_piracy: piracy of those outer Terran sectors (low, for new players to hunt).
        district_piracy: piracy by Nexus district key.
        player_piracy: piracy of player regions.
        pirates: strength of a pirate per level.
        pvp: PvP default by region kind (a governor may switch it where the kind allows).
        region_names: default display names by region kind (player regions get a made-up
            name plus one of ``player_region_suffixes``).
        player_region_suffixes: last words of made-up player region names.
        port_suffixes: last words of port names.
        syllables: syllables made-up names are built from.
        name_syllables: fewest and most syllables of a made-up name.
        ring_radius: distance from the galaxy centre (the Nexus) to the first ring of other
            regions, coordinate units.
        ring_step: distance between rings of regions, coordinate units.
        slot_spacing: distance between neighbouring regions on a ring, coordinate units.
    """

    layout: LayoutSpec = DEFAULT_LAYOUT
    warps: WarpSpec = DEFAULT_WARPS
    hazard_fraction: float = 0.10
    hazard_weights: tuple[tuple[Hazard, int], ...] = ((Hazard.NEBULA, 1), (Hazard.ASTEROIDS, 1))
    hub_district: str = "commerce_hub"
    transit_district: str = "transit_authority"
    hazard_free_districts: tuple[str, ...] = ("commerce_hub", "transit_authority")
    port_fraction: float = 0.30
    hub_port_fraction: float = 0.60
    planet_fraction: float = 0.05
    planets_per_sector_weights: tuple[int, ...] = (4, 1)
    planet_kinds: tuple[tuple[str, int], ...] = (
        ("M", 2),
        ("L", 2),
        ("O", 2),
        ("K", 3),
        ("H", 2),
        ("U", 3),
        ("C", 2),
    )
    sol_planets: tuple[tuple[str, str], ...] = (("Earth", "M"), ("Mars", "K"))
    sol_name: str = "Sol"
    stardock_hops: tuple[int, int] = (2, 3)
    terran_gate_hops: tuple[int, int] = (4, 6)
    terran_outer_fraction: float = 0.5
    terran_piracy: PiracySpec = PiracySpec(0.10, 1, 2)
    district_piracy: tuple[tuple[str, PiracySpec], ...] = (
        ("commerce_hub", NO_PIRACY),
        ("diplomatic_quarter", NO_PIRACY),
        ("transit_authority", NO_PIRACY),
        ("refugee_assistance", PiracySpec(0.05, 1, 2)),
        ("explorers_guild", PiracySpec(0.12, 1, 3)),
        ("open_space", PiracySpec(0.30, 2, 5)),
    )
    player_piracy: PiracySpec = PiracySpec(0.15, 1, 5)
    pirates: PirateSpec = field(default_factory=PirateSpec)
    pvp: tuple[tuple[RegionKind, bool], ...] = (
        (RegionKind.TERRAN, False),
        (RegionKind.NEXUS, True),
        (RegionKind.PLAYER, True),
    )
    region_names: tuple[tuple[RegionKind, str], ...] = (
        (RegionKind.TERRAN, "Terran Space"),
        (RegionKind.NEXUS, "Central Nexus"),
    )
    player_region_suffixes: tuple[str, ...] = ("Reach", "Expanse", "Marches", "Drift", "Frontier")
    port_suffixes: tuple[str, ...] = ("Outpost", "Station", "Depot", "Exchange", "Market", "Post")
    syllables: tuple[str, ...] = (
        "al", "be", "cor", "da", "el", "fa", "gor", "ha", "is", "ka", "lor", "mi", "nor",
        "os", "pra", "qua", "ri", "sa", "ta", "ul", "ve", "wyn", "xa", "yo", "zen", "th",
    )  # fmt: skip
    name_syllables: tuple[int, int] = (2, 3)
    ring_radius: float = 70.0
    ring_step: float = 60.0
    slot_spacing: float = 60.0

    def piracy_of_district(self, district: str) -> PiracySpec:
        """Piracy of a Nexus district.

        Args:
            district: a district key.

        Returns:
            Its piracy spec (none for a district not listed).
        """
        for key, spec in self.district_piracy:
            if key == district:
                return spec
        return NO_PIRACY

    def pvp_default(self, kind: RegionKind) -> bool:
        """Whether PvP is on in a freshly generated region of ``kind``.

        Args:
            kind: the region kind.

        Returns:
            The default (False for a kind not listed).
        """
        return dict(self.pvp).get(kind, False)

    def validate(self) -> None:
        """Check the spec for internal consistency.

        Raises:
            DataTableError: a share outside 0-1, a weight list without a positive weight, a
                piracy level outside 0-5 or a level range upside down, a district key that is
                not a Nexus district, or hop ranges upside down.
        """
        shares = {
            "hazard_fraction": self.hazard_fraction,
            "port_fraction": self.port_fraction,
            "hub_port_fraction": self.hub_port_fraction,
            "planet_fraction": self.planet_fraction,
            "terran_outer_fraction": self.terran_outer_fraction,
        }
        for key, share in shares.items():
            if not 0.0 <= share <= 1.0:
                raise DataTableError(f"galaxy spec {key} = {share} is not a share in 0-1")
        weights = {
            "hazard_weights": [w for _, w in self.hazard_weights],
            "planet_kinds": [w for _, w in self.planet_kinds],
            "planets_per_sector_weights": list(self.planets_per_sector_weights),
        }
        for key, values in weights.items():
            if min(values, default=-1) < 0 or sum(values) <= 0:
                raise DataTableError(f"galaxy spec {key} needs non-negative weights, one > 0")
        districts = {d.key for d in NEXUS_DISTRICTS}
        named = {self.hub_district, self.transit_district, *self.hazard_free_districts}
        named |= {key for key, _ in self.district_piracy}
        if not named <= districts:
            raise DataTableError(f"galaxy spec names unknown districts {sorted(named - districts)}")
        piracies = [self.terran_piracy, self.player_piracy, *(p for _, p in self.district_piracy)]
        for p in piracies:
            if not (0 <= p.min_level <= p.max_level <= 5 and 0.0 <= p.chance <= 1.0):
                raise DataTableError(f"galaxy spec piracy {p} out of range (levels 0-5)")
        for key, (lo, hi) in (
            ("stardock_hops", self.stardock_hops),
            ("terran_gate_hops", self.terran_gate_hops),
            ("name_syllables", self.name_syllables),
        ):
            if not 0 < lo <= hi:
                raise DataTableError(f"galaxy spec {key} = {(lo, hi)} is not a range")


GALAXY_SPEC: Final = GalaxySpec()
GALAXY_SPEC.validate()
