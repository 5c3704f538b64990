"""The region panel's diplomacy lines: the region's stances, others' stances towards it, and
its trade agreements proposed or in force (``RegionOut.diplomacy``)."""

from __future__ import annotations

import time
from typing import Any

from rich.markup import escape

__all__ = ["diplomacy_lines"]

JSON = dict[str, Any]

_STANCE_STYLE = {"allied": "green", "neutral": "dim", "hostile": "red"}


def _stance(entry: JSON, other_key: str) -> str:
    stance = str(entry.get("stance", "neutral"))
    style = _STANCE_STYLE.get(stance, "dim")
    text = f"[{style}]{escape(stance)}[/] region {int(entry[other_key])}"
    return text + (" [b red](no entry)[/]" if entry.get("refuse_entry") else "")


def _agreement(entry: JSON, region_id: int | None) -> str:
    owner, other = int(entry["owner_region_id"]), int(entry["other_region_id"])
    partner = other if owner == region_id else owner
    terms = f"toll -{int(entry['toll_discount_pct'])}%, tax -{int(entry['tax_discount_pct'])}%"
    if entry.get("status") == "active" and entry.get("expires_at") is not None:
        until = time.strftime("%Y-%m-%d", time.gmtime(float(entry["expires_at"])))
        state = f"until {until}"
    else:
        state = escape(str(entry.get("status", "")))
    return f"region {partner}: {terms} ({state}, #{escape(str(entry['id']))})"


def diplomacy_lines(region: JSON) -> list[str]:
    """The panel lines of a region's relations; none when it has none.

    Args:
        region: a ``RegionOut`` document (``diplomacy`` may be absent or null).

    Returns:
        Rich markup lines: ``stance`` (the region's own stances, neutral ones left out),
        ``towards`` (others' stances towards it, neutral left out), ``trade`` (agreements).
    """
    diplomacy = region.get("diplomacy") or {}
    lines: list[str] = []
    mine = [s for s in diplomacy.get("stances") or () if s.get("stance") != "neutral"]
    if mine:
        lines.append("stance   " + ", ".join(_stance(s, "other_region_id") for s in mine))
    theirs = [s for s in diplomacy.get("stances_towards") or () if s.get("stance") != "neutral"]
    if theirs:
        lines.append("towards  " + ", ".join(_stance(s, "region_id") for s in theirs))
    region_id = region.get("id")
    for entry in diplomacy.get("agreements") or ():
        lines.append("trade    " + _agreement(entry, None if region_id is None else int(region_id)))
    return lines
