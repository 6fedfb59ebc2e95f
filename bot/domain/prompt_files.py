"""Reading and writing prompt files: CSV (`theme,text[,content_note]`) or a JSON list of objects."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.text import csv_cell, csv_uncell, echo
from bot.errors import UserError

MAX_FILE_BYTES = 1_000_000
MIN_TEXT, MAX_TEXT = 10, 1000
MAX_NOTE = 200
EXPORT_COLUMNS = ("id", "theme", "text", "content_note", "status", "times_posted")


@dataclass(frozen=True)
class PromptRow:
    line: int
    theme: str
    text: str
    content_note: str | None


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
        except UserError as exc:
            raise UserError(f"Line {line}: {exc} Nothing was imported.") from exc
        rows.append(PromptRow(line, theme, body, note))
    if not rows:
        raise UserError("The file has no prompts in it. Nothing was imported.")
    return rows


def _csv_rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "theme" not in columns or "text" not in columns:
        raise UserError(
            "The CSV needs a header row with the columns `theme,text` (and optionally `content_note`). "
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
