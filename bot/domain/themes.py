"""The theme slugs that group prompts and members' interests, read from the shipped library."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from bot.domain.text import echo
from bot.errors import UserError


@dataclass(frozen=True)
class Theme:
    slug: str
    name: str
    description: str


@lru_cache(maxsize=1)
def library() -> dict[str, Any]:
    """The shipped prompt library: {"themes": [...], "prompts": [...]}."""
    text = (resources.files("bot.data") / "library.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def shipped_themes() -> tuple[Theme, ...]:
    return tuple(Theme(t["slug"], t["name"], t["description"]) for t in library()["themes"])


def theme_slugs() -> tuple[str, ...]:
    return tuple(t.slug for t in shipped_themes())


def parse_interests(raw: str | None, known: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Comma-separated theme slugs (or display names), validated, de-duplicated, in the given order."""
    if not raw or not raw.strip():
        return ()
    known = known or theme_slugs()
    by_name = {t.name.lower(): t.slug for t in shipped_themes()}
    chosen: list[str] = []
    for part in raw.split(","):
        item = part.strip().lower()
        if not item:
            continue
        slug = item if item in known else by_name.get(item)
        if slug is None:
            raise UserError(
                f"`{echo(part)}` is not a theme. Pick from the suggestions, for example "
                f"`{known[0]}, {known[-1]}`."
            )
        if slug not in chosen:
            chosen.append(slug)
    return tuple(chosen)
