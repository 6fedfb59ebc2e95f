"""Text that crosses a boundary: user input echoed in a reply, replies bounded by Discord's limits,
and spreadsheet cells that must not run as formulas."""

from __future__ import annotations

MESSAGE_LIMIT = 2000  # characters in a message's content (Discord's limit)
ECHO_LIMIT = 60
# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """User input as it may be quoted back inside `code`: one line, no backticks, at most `limit` characters."""
    text = " ".join(str(value).replace("`", "'").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A reply that fits in one Discord message, cut with an ellipsis when it would not."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def csv_cell(value: object) -> object:
    """A value for a CSV cell: text that would start a formula gets a leading apostrophe."""
    # A lone "-" or "+" (an empty figure) is not a formula.
    if isinstance(value, str) and value.startswith(FORMULA_START) and value.strip() not in ("-", "+"):
        return "'" + value
    return value


def csv_uncell(value: str) -> str:
    """The reverse of `csv_cell`, so an exported file imports back as it was."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
