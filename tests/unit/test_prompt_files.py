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
    data = export_csv(
        [
            (
                1,
                "stories",
                "Tell us, please: what is home?",
                "Ask each other: what is home?",
                "light",
                None,
                "active",
                None,
                None,
                2,
            ),
            (
                2,
                "family",
                "Share a dish from a festival.",
                None,
                "deep",
                "Loss",
                "retired",
                "diwali",
                None,
                0,
            ),
            (
                3,
                "family",
                "What do you eat on the day?",
                None,
                "medium",
                None,
                "active",
                "our-day",
                "04-02",
                1,
            ),
        ]
    )
    rows = parse_prompt_file("prompts.csv", data, THEMES)
    assert rows[0].text == "Tell us, please: what is home?"
    assert (rows[0].pair_text, rows[0].depth, rows[0].pack) == (
        "Ask each other: what is home?",
        "light",
        None,
    )
    assert (rows[1].pair_text, rows[1].depth, rows[1].content_note, rows[1].pack) == (
        None,
        "deep",
        "Loss",
        "diwali",
    )
    assert (rows[2].pack, rows[2].pack_date) == ("our-day", "04-02")
    assert json.loads(json.dumps(rows[0].theme)) == "stories"


def test_the_shipped_library_file_imports_as_it_is():
    from importlib import resources

    from bot.domain.themes import library

    data = (resources.files("bot.data") / "library.json").read_bytes()
    rows = parse_prompt_file("library.json", data, [t["slug"] for t in library()["themes"]])
    assert len(rows) == len(library()["prompts"]) + len(library()["calendar"])
    dated = [r for r in rows if r.pack]
    assert {r.pack for r in dated} >= {"lunar-new-year", "diwali"} and all(r.pack_date is None for r in dated)
    assert all(r.pair_text for r in rows) and {r.depth for r in rows} == {"light", "medium", "deep"}
