"""Import files: every bad input is a clear error with its line, and nothing partial."""

from __future__ import annotations

import json

import pytest

from bot.domain.prompt_files import MAX_FILE_BYTES, clean_text, export_csv, parse_prompt_file
from bot.errors import UserError

THEMES = ("stories", "family")


def test_csv_with_optional_note_and_quotes():
    data = b'theme,text,content_note\nstories,"Who, in your life, tells the best stories?",\nfamily,What do you cook together?,Family\n'
    rows = parse_prompt_file("p.csv", data, THEMES)
    assert [(r.line, r.theme, r.content_note) for r in rows] == [
        (2, "stories", None),
        (3, "family", "Family"),
    ]
    assert rows[0].text == "Who, in your life, tells the best stories?"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"theme,text\nstories,short\n", "Line 2"),
        (b"theme,text\nstories,This one is fine enough.\nfood,What do you eat?\n", "Line 3"),
        (b"theme,text\nstories,Fine prompt text here,extra\n", "too many columns"),
        (b"text\nWhat is your story?\n", "theme,text"),
        ("theme,text\nstories,Caf\u00e9 stories from long ago?\n".encode("utf-16"), "UTF-8"),
        (b"theme,text\n", "no prompts"),
    ],
)
def test_bad_csv(data, message):
    with pytest.raises(UserError, match=message):
        parse_prompt_file("p.csv", data, THEMES)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"theme": "stories"}', "list of objects"),
        ('[{"theme": "stories", "text": 5}]', "Item 1"),
        (
            '[{"theme": "stories", "text": "A good long prompt?"}, {"theme": "x", "text": "Another prompt?"}]',
            "Line 2",
        ),
        ("[{", "malformed"),
    ],
)
def test_bad_json(payload, message):
    with pytest.raises(UserError, match=message):
        parse_prompt_file("p.json", payload.encode(), THEMES)


def test_size_cap():
    with pytest.raises(UserError, match="limit"):
        parse_prompt_file("p.csv", b"x" * (MAX_FILE_BYTES + 1), THEMES)


def test_control_characters_are_removed_but_lines_kept():
    assert clean_text("Hello\x00 there\x1b[31m\nsecond line  ") == "Hello  there [31m\nsecond line"


def test_export_then_parse_round_trip():
    exported = [
        (1, "stories", "Tell us, please: what is home?", None, "active", 2),
        (
            7,
            "family",
            'Who said "eat first" in your family,\nand what did it mean?',
            "Family, loss",
            "retired",
            0,
        ),
    ]
    data = export_csv(exported)
    assert data.decode().splitlines()[0] == "id,theme,text,content_note,status,times_posted"
    rows = parse_prompt_file("prompts.csv", data, THEMES)
    assert [(r.theme, r.text, r.content_note) for r in rows] == [(e[1], e[2], e[3]) for e in exported]
    # The same prompts written as JSON come back the same way.
    as_json = json.dumps([{"theme": e[1], "text": e[2], "content_note": e[3]} for e in exported]).encode()
    assert [(r.theme, r.text, r.content_note) for r in parse_prompt_file("p.json", as_json, THEMES)] == [
        (r.theme, r.text, r.content_note) for r in rows
    ]
