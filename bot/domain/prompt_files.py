"""Reading and writing prompt files: CSV or a JSON list of objects.

Columns (only `theme` and `text` are required; others may be left empty, unknown ones are ignored):
`theme`, `text` (the public thread), `pair_text` (a private pair or trio thread; empty: `text` fits both),
`depth` (`light`, `medium`, `deep`; empty: medium), `content_note`, and for dated prompts `pack` (a calendar
pack key such as `lunar-new-year`, or a new one of the server's own) with `date` (`MM-DD` every year or
`YYYY-MM-DD` once; required for a server's own pack, not allowed for a shipped one, whose date is computed).
`id`, `status` and `times_posted` come with an export and are ignored on import. The shipped library file
(`bot/data/library.json`) imports as it is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain import calendar
from bot.domain.text import csv_cell, csv_uncell, echo
from bot.errors import UserError

MAX_FILE_BYTES = 1_000_000
MIN_TEXT, MAX_TEXT = 10, 1000
MAX_NOTE = 200
EXPORT_COLUMNS = (
    "id",
    "theme",
    "text",
    "pair_text",
    "depth",
    "content_note",
    "status",
    "pack",
    "date",
    "times_posted",
)
DEPTHS = ("light", "medium", "deep")


@dataclass(frozen=True)
class PromptRow:
    line: int
    theme: str
    text: str
    content_note: str | None
    pair_text: str | None = None
    depth: str = "medium"
    pack: str | None = None
    pack_date: str | None = None


def clean_text(text: str) -> str:
    """Collapse control characters (but keep line breaks) and trim."""
    kept = "".join(ch if ch in "\n\t" or ch.isprintable() else " " for ch in text)
    return "\n".join(line.rstrip() for line in kept.strip().splitlines())


def validate_text(text: str, what: str = "The prompt") -> str:
    cleaned = clean_text(text)
    if len(cleaned) < MIN_TEXT:
        raise UserError(f"{what} is too short: write at least {MIN_TEXT} characters.")
    if len(cleaned) > MAX_TEXT:
        raise UserError(f"{what} is {len(cleaned)} characters long: keep it to {MAX_TEXT} or fewer.")
    return cleaned


def validate_note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    cleaned = clean_text(note)
    if len(cleaned) > MAX_NOTE:
        raise UserError(
            f"The content note is {len(cleaned)} characters long: keep it to {MAX_NOTE} or fewer."
        )
    return cleaned


def validate_depth(raw: str | None) -> str:
    depth = (raw or "").strip().lower() or "medium"
    if depth not in DEPTHS:
        raise UserError(f"`{raw}` is not a depth: use `light`, `medium` or `deep`.")
    return depth


def validate_pack(raw_pack: str | None, raw_date: str | None) -> tuple[str | None, str | None]:
    """A calendar pack key and, for a server's own pack, its date."""
    pack = (raw_pack or "").strip().lower() or None
    when = (raw_date or "").strip() or None
    if pack is None:
        if when is not None:
            raise UserError("A `date` needs a `pack` name in the same row.")
        return None, None
    if not calendar.PACK_KEY.match(pack):
        raise UserError(
            f"`{pack}` is not a pack name: use lower-case letters, digits and dashes, up to 40 characters."
        )
    if pack in calendar.SHIPPED_BY_KEY:
        if when is not None:
            raise UserError(f"`{pack}` is a shipped pack whose date is computed: leave `date` empty.")
        return pack, None
    if when is None:
        raise UserError(f"The pack `{pack}` is new: give its `date` as `MM-DD` (every year) or `YYYY-MM-DD`.")
    calendar.parse_custom_date(when)
    return pack, when


def parse_prompt_file(filename: str, data: bytes, themes: Sequence[str]) -> list[PromptRow]:
    """Every row of the file, validated; a UserError naming the first bad line otherwise."""
    if len(data) > MAX_FILE_BYTES:
        raise UserError(
            f"The file is {len(data):,} bytes: the limit is {MAX_FILE_BYTES:,}. Split it into parts."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            "The file is not UTF-8 text: save it as UTF-8 (CSV UTF-8 in spreadsheet apps)."
        ) from exc
    is_json = filename.lower().endswith(".json") or text.lstrip().startswith("[")
    raw_rows = _json_rows(text) if is_json else _csv_rows(text)
    rows: list[PromptRow] = []
    for line, item in raw_rows:
        theme = (item.get("theme") or "").strip().lower()
        if theme not in themes:
            raise UserError(
                f"Line {line}: `{echo(theme) if theme else '(empty)'}` is not a theme of this server. "
                f"Use one of: {', '.join(themes)}. Nothing was imported."
            )
        try:
            body = validate_text(item.get("text") or "")
            note = validate_note(item.get("content_note"))
            pair = (item.get("pair_text") or "").strip()
            pair_text = validate_text(pair, "The pair text") if pair else None
            depth = validate_depth(item.get("depth"))
            pack, pack_date = validate_pack(item.get("pack"), item.get("date") or item.get("pack_date"))
        except UserError as exc:
            raise UserError(f"Line {line}: {exc} Nothing was imported.") from exc
        rows.append(PromptRow(line, theme, body, note, pair_text, depth, pack, pack_date))
    if not rows:
        raise UserError("The file has no prompts in it. Nothing was imported.")
    return rows


def _csv_rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "theme" not in columns or "text" not in columns:
        raise UserError(
            "The CSV needs a header row with the columns `theme,text` (and optionally `pair_text`, `depth`, "
            "`content_note`, `pack`, `date`). "
            "Nothing was imported."
        )
    reader.fieldnames = columns
    rows = []
    try:
        for row in reader:
            if None in row:
                raise UserError(
                    f"Line {reader.line_num}: too many columns (put text with commas in double quotes). "
                    "Nothing was imported."
                )
            if not any((v or "").strip() for v in row.values()):
                continue
            rows.append((reader.line_num, {k: csv_uncell(v or "") for k, v in row.items()}))
    except csv.Error as exc:
        raise UserError(
            f"Line {reader.line_num}: the CSV is malformed ({exc}). Nothing was imported."
        ) from exc
    return rows


def _json_rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"Line {exc.lineno}: the JSON is malformed ({exc.msg}). Nothing was imported."
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("prompts"), list):
        # The shipped library file itself: a server set up with an older library can import the new one.
        data = [*data["prompts"], *(data.get("calendar") or [])]
    if not isinstance(data, list):
        raise UserError("The JSON must be a list of objects with `theme` and `text`. Nothing was imported.")
    rows = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not all(isinstance(v, str | type(None)) for v in item.values()):
            raise UserError(f"Item {index}: expected an object of text fields. Nothing was imported.")
        rows.append((index, item))
    return rows


def export_csv(rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if v is None else csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def normalise(text: str) -> str:
    """The form used to spot duplicates: case and spacing do not matter."""
    return " ".join(text.lower().split())
