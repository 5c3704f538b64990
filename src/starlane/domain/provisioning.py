"""The rules of provisioning a player region: who may, what name, which id and sector range.

A Galactic Citizen may request a region (``POST /api/v1/regions``); the engine side
(:mod:`starlane.engine.provisioning`) generates it and opens its Nexus gate terminal. The rules
it applies, stated once here:

- only a Galactic Citizen may request a region (:class:`NotACitizenError`);
- a citizen owns at most ``limit`` regions that are not closed (:class:`RegionLimitError`);
- a region name is unique among every region ever catalogued, closed ones included, compared
  case-insensitively and with runs of white space folded (:func:`region_name_key`,
  :class:`RegionNameTakenError`);
- a new region takes the id after the highest known one and the sector ids after the highest
  known range (:func:`next_region_slot`): ids and ranges are never reused, so sector ids stay
  global and disjoint.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlane.domain.data import REGION_KINDS, RegionKind
from starlane.domain.errors import DomainError

__all__ = [
    "DESCRIPTION_MAX",
    "NAME_MAX",
    "NAME_MIN",
    "SECTORS_DEFAULT",
    "SECTORS_MAX",
    "SECTORS_MIN",
    "NoFreeTerminalError",
    "NotACitizenError",
    "RegionLimitError",
    "RegionNameTakenError",
    "check_region_request",
    "next_region_slot",
    "region_name_key",
]

NAME_MIN = 3
"""Characters of a region name at least (after trimming)."""
NAME_MAX = 40
"""Characters of a region name at most (after trimming)."""
DESCRIPTION_MAX = 2_000
"""Characters of a region description at most (as a governor's ``description`` policy)."""
SECTORS_MIN = REGION_KINDS[RegionKind.PLAYER].min_sectors
"""Sectors of a provisioned region at least (100)."""
SECTORS_MAX = REGION_KINDS[RegionKind.PLAYER].max_sectors
"""Sectors of a provisioned region at most (1,500)."""
SECTORS_DEFAULT = REGION_KINDS[RegionKind.PLAYER].default_sectors
"""Sectors of a provisioned region when the request names none (500)."""


class NotACitizenError(DomainError):
    """Only a Galactic Citizen may request a region."""

    code = "not_a_citizen"
    kind = "forbidden"


class RegionLimitError(DomainError):
    """The citizen already owns as many open regions as a citizen may."""

    code = "region_limit"
    kind = "conflict"


class NoFreeTerminalError(DomainError):
    """Every gate terminal of the Nexus transit authority already holds a gate."""

    code = "no_free_terminal"
    kind = "conflict"


class RegionNameTakenError(DomainError):
    """Another region (open or closed) already has that name, ignoring case."""

    code = "name_taken"
    kind = "conflict"


def region_name_key(name: str) -> str:
    """The form two region names are compared in: trimmed, white space folded, case-folded.

    Args:
        name: a region name.

    Returns:
        The comparison key (``"  Outer   Rim "`` and ``"outer rim"`` give the same key).
    """
    return " ".join(name.split()).casefold()


def check_region_request(
    *,
    is_citizen: bool,
    owned_open: int,
    limit: int,
    name: str,
    taken_names: Iterable[str],
) -> None:
    """Refuse a region request the rules do not allow (checked in this order).

    Args:
        is_citizen: whether the requester is a Galactic Citizen now.
        owned_open: regions the requester owns that are not closed.
        limit: regions a citizen may own at once (``settings.regions_per_citizen``).
        name: the requested name.
        taken_names: the names of every region, closed ones included.

    Raises:
        NotACitizenError: the requester is not a Galactic Citizen.
        RegionLimitError: ``owned_open >= limit``.
        RegionNameTakenError: the name equals a taken one, ignoring case and spacing.
    """
    if not is_citizen:
        raise NotACitizenError("only a Galactic Citizen may request a region")
    if owned_open >= limit:
        raise RegionLimitError(
            f"you own {owned_open} open region(s); a citizen may own {limit}",
            owned=owned_open,
            limit=limit,
        )
    key = region_name_key(name)
    if any(region_name_key(taken) == key for taken in taken_names):
        raise RegionNameTakenError(f"a region named {name!r} already exists", name=name)


def next_region_slot(ranges: Iterable[tuple[int, int, int]]) -> tuple[int, int]:
    """The id and the first sector id of the next region.

    Args:
        ranges: ``(region_id, first_sector_id, sector_count)`` of every known region
            (catalogued, running, or reached by a Nexus terminal).

    Returns:
        ``(region_id, first_sector_id)``: one past the highest id, and the sector after the
        highest range (1 and 1 when nothing is known).
    """
    region_id = 0
    end = 0
    for rid, first, count in ranges:
        region_id = max(region_id, rid)
        end = max(end, first + count - 1)
    return region_id + 1, end + 1
