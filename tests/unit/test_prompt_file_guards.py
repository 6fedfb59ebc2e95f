"""Prompt files as a moderator meets them: limits at their exact edges, whole refusals, clean text kept."""

from __future__ import annotations

import json

import pytest

from bot.domain.prompt_files import (
    MAX_FILE_BYTES,
    MAX_NOTE,
    MAX_TEXT,
    MIN_TEXT,
    PromptRow,
    clean_text,
    normalise,
    parse_prompt_file,
    validate_note,
    validate_text,
)
from bot.errors import UserError

THEMES = ("stories", "family")


def test_text_length_limits_are_inclusive():
    assert (MIN_TEXT, MAX_TEXT, MAX_NOTE) == (10, 1000, 200)
    assert validate_text("x" * MIN_TEXT) == "x" * MIN_TEXT
    assert validate_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    with pytest.raises(UserError) as error:
        validate_text("  " + "x" * (MIN_TEXT - 1) + "  ")
    assert str(error.value) == "The prompt is too short: write at least 10 characters."
    with pytest.raises(UserError) as error:
        validate_text("x" * (MAX_TEXT + 1), "Your suggestion")
    assert str(error.value) == "Your suggestion is 1001 characters long: keep it to 1000 or fewer."


def test_notes_are_optional_cleaned_and_limited():
    assert validate_note(None) is None and validate_note("   ") is None
    assert validate_note("  Family,\x00 loss ") == "Family,  loss"
    assert validate_note("n" * MAX_NOTE) == "n" * MAX_NOTE
    with pytest.raises(UserError) as error:
        validate_note("n" * (MAX_NOTE + 1))
    assert str(error.value) == "The content note is 201 characters long: keep it to 200 or fewer."


def test_clean_text_keeps_tabs_and_line_breaks_and_trims_each_line():
    assert (
        clean_text("\tfirst line   \n\n  second\tpart  \r\nthird\x07")
        == "first line\n\n  second\tpart\nthird"
    )


def test_duplicates_are_spotted_whatever_the_case_and_spacing():
    assert normalise("  What IS\n home?\t") == "what is home?"
    assert normalise("What is home?") != normalise("What is a home?")


def test_the_size_limit_is_inclusive_and_named():
    line = b"stories,What story does your name tell?\n"
    header = b"theme,text\n"
    exact = header + line * ((MAX_FILE_BYTES - len(header)) // len(line))
    exact += b"#" * (MAX_FILE_BYTES - len(exact) - 1) + b"\n"
    assert len(exact) == MAX_FILE_BYTES
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.csv", exact + b"x", THEMES)
    assert str(error.value) == "The file is 1,000,001 bytes: the limit is 1,000,000. Split it into parts."
    with pytest.raises(
        UserError, match="is not a theme"
    ):  # under the limit it is read (and the junk line refused)
        parse_prompt_file("p.csv", exact, THEMES)


def test_csv_header_is_case_insensitive_and_blank_lines_skipped():
    data = b"\xef\xbb\xbfTheme , TEXT,Content_Note\n\nFamily ,  What did you eat on holidays?  ,\n,,\n"
    assert parse_prompt_file("prompts.CSV", data, THEMES) == [
        PromptRow(3, "family", "What did you eat on holidays?", None)
    ]


def test_refusals_name_the_line_and_say_nothing_was_imported():
    data = b"theme,text\nstories,A first good prompt?\nfood,What do you cook?\n"
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.csv", data, THEMES)
    assert str(error.value) == (
        "Line 3: `food` is not a theme of this server. Use one of: stories, family. Nothing was imported."
    )
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.csv", b"theme,text\n,A prompt with no theme?\n", THEMES)
    assert "Line 2: `(empty)` is not a theme" in str(error.value)
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.csv", b"theme,text\nstories,short\n", THEMES)
    assert str(error.value) == (
        "Line 2: The prompt is too short: write at least 10 characters. Nothing was imported."
    )
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.csv", b'theme,text\nstories,"unclosed\n', THEMES)
    assert "Nothing was imported" in str(error.value)
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.csv", b"theme\nstories\n", THEMES)
    assert "`theme,text`" in str(error.value) and "Nothing was imported" in str(error.value)


def test_json_is_recognised_by_name_or_by_content():
    payload = [
        {"theme": "stories", "text": "Which story do you tell most?", "content_note": None},
        {"theme": "FAMILY", "text": "Who taught you to cook?"},
    ]
    expected = [
        PromptRow(1, "stories", "Which story do you tell most?", None),
        PromptRow(2, "family", "Who taught you to cook?", None),
    ]
    raw = json.dumps(payload).encode()
    assert parse_prompt_file("prompts.JSON", raw, THEMES) == expected
    assert parse_prompt_file("prompts.txt", b"  \n" + raw, THEMES) == expected
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.json", b'[{"theme": "stories", "text": "Long enough text"}, "no"]', THEMES)
    assert str(error.value) == "Item 2: expected an object of text fields. Nothing was imported."
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.json", b'{"theme": "stories"}', THEMES)
    assert str(error.value) == (
        "The JSON must be a list of objects with `theme` and `text`. Nothing was imported."
    )
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.json", b"[]", THEMES)
    assert str(error.value) == "The file has no prompts in it. Nothing was imported."
    with pytest.raises(UserError) as error:
        parse_prompt_file("p.json", b'[\n{"theme": }', THEMES)
    assert str(error.value).startswith("Line 2: the JSON is malformed")


def test_each_csv_refusal_says_what_to_do_and_that_nothing_was_imported():
    cases = {
        b"text\nWhat is your story?\n": (
            "The CSV needs a header row with the columns `theme,text` (and optionally `pair_text`, `depth`, `content_note`, `pack`, `date`). "
            "Nothing was imported."
        ),
        b"theme,text\nstories,Fine prompt text here,extra\n": (
            "Line 2: too many columns (put text with commas in double quotes). Nothing was imported."
        ),
        b'theme,text\nstories,"' + b"x" * 140_000 + b'"\n': (
            "Line 1: the CSV is malformed (field larger than field limit (131072)). Nothing was imported."
        ),
        "theme,text\nstories,Café stories from long ago?\n".encode("utf-16"): (
            "The file is not UTF-8 text: save it as UTF-8 (CSV UTF-8 in spreadsheet apps)."
        ),
    }
    for data, message in cases.items():
        with pytest.raises(UserError) as error:
            parse_prompt_file("p.csv", data, THEMES)
        assert str(error.value) == message


def test_an_empty_row_in_the_middle_does_not_end_the_file():
    data = b"theme,text\nstories,The first prompt here?\n ,\nfamily,The second prompt here?\n"
    rows = parse_prompt_file("p.csv", data, THEMES)
    assert [(r.line, r.theme) for r in rows] == [(2, "stories"), (4, "family")]
