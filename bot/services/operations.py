"""Running Bridges unattended: the health line and rotating backups."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.db import Database
from bot.domain import schedule

KEEP_BACKUPS = 7


async def health_line(db: Database, now: datetime) -> str:
    """Servers, opted-in members and the next scheduled jobs: numbers only, nothing personal."""
    rows = await db.fetchall("SELECT * FROM guild_settings")
    members = await db.fetchone("SELECT count(*) FROM members WHERE status = 'active'")
    next_times = []
    for row in rows:
        tz = schedule.zone(row["timezone"])
        for prefix in ("prompt", "pairing"):
            if row[f"{prefix}_channel_id"] is not None:
                slot = schedule.WeeklySlot(
                    row[f"{prefix}_day"], schedule.parse_time(row[f"{prefix}_time"]), tz
                )
                next_times.append((slot.next_after(now), prefix))
    problems = sum(1 for row in rows if row["prompt_problem"] or row["pairing_problem"])
    upcoming = (
        ", ".join(f"{kind} {when:%Y-%m-%d %H:%M} UTC" for when, kind in sorted(next_times)[:3]) or "none"
    )
    return (
        f"health: {len(rows)} servers, {members[0] if members else 0} opted-in members, "
        f"{problems} servers with a delivery problem; next jobs: {upcoming}"
    )


async def rotate_backup(db: Database, folder: Path, now: datetime) -> tuple[Path, bool]:
    """Write today's backup (once a day) and keep only the newest `KEEP_BACKUPS`; returns the day's file
    and whether it was written now."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"bridges-{now:%Y-%m-%d}.sqlite3"
    written = not target.exists()
    if written:
        await db.backup_to(target)
    backups = sorted(folder.glob("bridges-????-??-??.sqlite3"))
    for old in backups[:-KEEP_BACKUPS]:
        old.unlink()
    return target, written
