"""Circles: the communities a server names, and each member's private choice of them.

A member's circles are shown to that member alone. Other code reads them only as the engine's input
(`circle_map`) or as a count over a whole round; no function here returns who chose a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.db import Database
from bot.db import circles as circle_db
from bot.db import guilds as guild_db
from bot.errors import UserError

MIN_CIRCLES, MAX_CIRCLES = 2, 8
MAX_NAME = 40
RENAME = "->"


@dataclass(frozen=True)
class Circle:
    id: int
    name: str


@dataclass(frozen=True)
class CircleChange:
    circles: list[Circle]
    renamed: list[tuple[str, str]]
    removed: list[str]
    added: list[str]


async def server_circles(db: Database, guild_id: int) -> list[Circle]:
    return [Circle(r["id"], r["name"]) for r in await circle_db.of_guild(db, guild_id)]


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise UserError(f"Circle names are 1 to {MAX_NAME} characters: `{name[:60]}` is not.")
    return name


async def set_circles(db: Database, guild_id: int, names: str, now: datetime) -> CircleChange:
    """Replace the server's circles from a comma-separated list; `none` turns circles off.

    An entry `Old -> New` renames a circle and keeps everyone's choice of it; a circle left out of the list
    is removed, and members who chose it no longer have it."""
    await guild_db.ensure(db, guild_id, now)
    existing = await server_circles(db, guild_id)
    by_name = {c.name.lower(): c for c in existing}
    entries = [e.strip() for e in names.split(",") if e.strip()]
    keep: list[tuple[int, str]] = []
    new: list[str] = []
    renamed: list[tuple[str, str]] = []
    if not (len(entries) == 1 and entries[0].lower() == "none"):
        if not MIN_CIRCLES <= len(entries) <= MAX_CIRCLES:
            raise UserError(
                f"Name {MIN_CIRCLES} to {MAX_CIRCLES} circles, separated by commas "
                "(or `none` to turn circles off)."
            )
        for entry in entries:
            old, arrow, target = entry.partition(RENAME)
            if arrow:
                source = by_name.get(_clean(old).lower())
                if source is None:
                    known = ", ".join(c.name for c in existing) or "none yet"
                    raise UserError(f"There is no circle `{old.strip()}` to rename (circles: {known}).")
                name = _clean(target)
                keep.append((source.id, name))
                if name != source.name:
                    renamed.append((source.name, name))
            else:
                name = _clean(entry)
                found = by_name.get(name.lower())
                if found is not None:
                    keep.append((found.id, name))
                else:
                    new.append(name)
        final = [n.lower() for _, n in keep] + [n.lower() for n in new]
        if len(set(final)) != len(final) or len({cid for cid, _ in keep}) != len(keep):
            raise UserError("Each circle may appear once in the list.")
    kept = {cid for cid, _ in keep}
    removed = [c.name for c in existing if c.id not in kept]
    await circle_db.replace(db, guild_id, keep, new, now)
    return CircleChange(await server_circles(db, guild_id), renamed, removed, new)


def parse_member_choice(text: str, available: list[Circle]) -> list[int] | None:
    """Circle ids named in `text` (comma-separated, any case); `none` is an empty choice."""
    entries = [e.strip() for e in text.split(",") if e.strip()]
    if not entries or (len(entries) == 1 and entries[0].lower() == "none"):
        return []
    if not available:
        raise UserError("This server has no circles to choose from.")
    by_name = {c.name.lower(): c.id for c in available}
    chosen: list[int] = []
    for entry in entries:
        cid = by_name.get(" ".join(entry.split()).lower())
        if cid is None:
            names = ", ".join(c.name for c in available)
            raise UserError(f"`{entry[:60]}` is not one of this server's circles: {names} (or `none`).")
        if cid not in chosen:
            chosen.append(cid)
    return chosen


async def member_circle_names(db: Database, guild_id: int, user_id: int) -> list[str]:
    """The member's own circles, for that member alone (status, mydata)."""
    return [r["name"] for r in await circle_db.of_member(db, guild_id, user_id)]


async def circle_map(db: Database, guild_id: int) -> dict[int, frozenset[int]]:
    """Every member's circle ids: input for the pairing engine, never shown."""
    return await circle_db.by_member(db, guild_id)


def mixes_circles(groups: list[tuple[int, ...]], chosen: dict[int, frozenset[int]]) -> int:
    """How many groups have two members who each chose circles and share none of them."""
    count = 0
    for group in groups:
        sets = [chosen.get(m, frozenset()) for m in group]
        if any(a and b and not (a & b) for i, a in enumerate(sets) for b in sets[i + 1 :]):
            count += 1
    return count


def effective_mix(stored: str | None, has_circles: bool) -> str:
    """`across` when the server has circles and did not choose `any`; otherwise `any`."""
    if not has_circles:
        return "any"
    return stored or "across"
