"""The first message of a pair thread: who, their local times, what they share, when to meet, a starter.

Built only from what each member chose to give (timezone, interests); a member's circles never appear.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import meeting, schedule
from bot.domain.themes import shipped_themes
from bot.services.pairing import GroupToOpen

LIMIT = 2000  # Discord's message content limit
SIZE_WORDS = {2: "two", 3: "three", 4: "four"}
AGREEMENTS = (
    "1. Listen to understand, not to reply.",
    "2. Share only what you want to; passing is always fine.",
    "3. What is said here stays here.",
)


def join_names(ids: list[int]) -> str:
    names = [f"<@{u}>" for u in ids]
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + f" and {names[-1]}"


def starter_lead(size: int) -> str:
    """How to use the starter, phrased for the group's size."""
    if size == 2:
        return "For the two of you: take turns answering, then ask each other one question back."
    return (
        f"For the {SIZE_WORDS.get(size, str(size))} of you: go round in turn, and let everyone answer "
        "before anyone answers twice."
    )


def _local_times(item: GroupToOpen, at: datetime) -> list[str]:
    lines = [f"**Your local times** (when this thread opened: {meeting.discord_time(at, 't')} for you):"]
    zones = []
    for person in item.people:
        if person.timezone:
            tz = schedule.zone(person.timezone)
            zones.append(tz)
            local = at.astimezone(tz)
            offset = meeting.fmt_offset(meeting.offset_minutes(tz, at))
            lines.append(f"- <@{person.user_id}>: {local:%H:%M} ({offset})")
        else:
            lines.append(f"- <@{person.user_id}>: no timezone set (`/exchange join timezone:` adds one)")
    if len(zones) >= 2:
        gap = meeting.gap_hours(zones, at)
        if gap == 0:
            lines.append("You share the same clock time.")
        else:
            hours = f"{gap:g} hour" + ("" if gap == 1 else "s")
            lines.append(f"You are {hours} apart" + (" at most." if len(zones) > 2 else "."))
    return lines


def _shared(item: GroupToOpen) -> list[str]:
    if len(item.people) < 2:
        return []
    common = frozenset.intersection(*(p.interests for p in item.people))
    if not common:
        return []
    names = {t.slug: t.name for t in shipped_themes()}
    who = "You both" if len(item.people) == 2 else "You all"
    return ["", f"**{who} chose to talk about:** " + ", ".join(sorted(names.get(s, s) for s in common))]


def _times(item: GroupToOpen, at: datetime) -> list[str]:
    zones = [schedule.zone(p.timezone) if p.timezone else None for p in item.people]
    times, fits = meeting.suggest_times(zones, at, schedule.zone(item.server_timezone))
    known = [z for z in zones if z is not None]
    if not known:
        head = "**Some daytime suggestions to meet** (nobody has a timezone set yet, so check they suit you):"
    elif len(known) < len(zones):
        head = "**Times to meet** (inside the day of those with a timezone; the others, check they suit you):"
    elif fits:
        head = "**Times to meet that fall in everyone's day** (shown in your own time):"
    else:
        head = "**No hour falls in everyone's day; these come closest** (shown in your own time):"
    return ["", head, *(f"- {meeting.discord_time(t, 'F')}" for t in times)]


def introduction(item: GroupToOpen) -> str:
    """The whole first message, under Discord's 2,000 characters (a long starter is shortened)."""
    at = item.made_at or datetime.now(UTC)
    head = [
        f"Welcome, {join_names(item.member_ids)}! You are a group for this week's Bridges round.",
        "This is a private thread for your group (server moderators can see private threads too).",
        "",
        *_local_times(item, at),
        *_shared(item),
        *_times(item, at),
    ]
    tail = [
        "",
        "**Three agreements for a good conversation:**",
        *AGREEMENTS,
        "",
        "Say hello and pick a time. Mid-week I will ask how it went. **Another starter** shows a different "
        "prompt; **Report to moderators** tells only the moderators if anything feels wrong.",
    ]
    starter: list[str] = []
    if item.opener:  # a pair thread starts light when the week's prompt is medium or deep
        starter = ["", "**To begin, something light:**", quote(item.opener, 400)]
    if item.prompt_text:
        theme = f" ({item.theme_name})" if item.theme_name else ""
        note = f" (content note: {item.prompt_note})" if item.prompt_note else ""
        heading = "And when you are ready, this week's prompt" if item.opener else "A starter from this week's prompt"
        starter += ["", f"**{heading}{theme}:**{note}", starter_lead(len(item.member_ids))]
        room = LIMIT - len("\n".join([*head, *starter, *tail])) - 1
        starter.append(quote(item.prompt_text, room))
    return "\n".join([*head, *starter, *tail])[:LIMIT]


def quote(text: str, room: int) -> str:
    """`text` as a block quote of at most `room` characters (shortened with an ellipsis when needed)."""
    quoted = "> " + text.replace("\n", "\n> ")
    return quoted if len(quoted) <= room else quoted[: max(0, room - 1)] + "…"


def another_starter_text(text: str, size: int) -> str:
    head = f"**Another starter:**\n{starter_lead(size)}\n"
    return head + quote(text, LIMIT - len(head))
