"""Input hygiene: odd input gets a clear, bounded reply; exports never carry a live spreadsheet formula;
leaving always works; options left out keep their stored values."""

from __future__ import annotations

import csv
import io

import pytest

from bot.domain.prompt_files import parse_prompt_file
from bot.domain.text import csv_cell, csv_uncell
from bot.domain.themes import theme_slugs

FORMULAS = [
    '=HYPERLINK("http://x.example","click") tell us',
    "+1 reason you came here today?",
    "-2 ways to say hi?",
    "@SUM(A1:A2) a question for you",
]


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("timezone", "Asia"),
        ("timezone", "Europe/" + "x" * 300),
        ("timezone", "../../etc/passwd"),
        ("timezone", "America"),
        ("timezone", "`@everyone`\n" * 40),
        ("interests", "family, " + "🙂" * 2500),
        ("interests", ", ".join(["no-such-theme"] * 400)),
    ],
)
async def test_odd_input_gets_a_clear_reply_that_fits(fake, runner, world, option, value):
    w = world(members=1)
    await runner.start()
    reply = await ask(fake, w["guild"], w["members"][0], "exchange join", {option: value})
    assert reply.ephemeral and "went wrong" not in reply.text
    assert "not a timezone" in reply.text or "not a theme" in reply.text
    assert len(reply.content) <= 2000 and len(reply.text) < 400
    assert reply.allowed_mentions["parse"] == []


async def test_one_option_keeps_the_others_and_leave_always_works(fake, runner, world):
    w = world(members=1)
    g, ana = w["guild"], w["members"][0]
    bot = await runner.start()
    await ask(
        fake,
        g,
        ana,
        "exchange join",
        {"interests": "family", "frequency": "monthly", "timezone": "Asia/Manila"},
    )
    await ask(fake, g, ana, "exchange join", {"timezone": "Asia/Seoul"})
    await ask(fake, g, ana, "exchange join", {"interests": "heritage"})
    row = await bot.db.fetchone("SELECT * FROM members WHERE user_id = ?", (ana.id,))
    assert (row["timezone"], row["interests"], row["frequency"]) == ("Asia/Seoul", "heritage", "monthly")
    # Preference updates use up the join limit...
    for _ in range(3):
        await ask(fake, g, ana, "exchange join", {"interests": "family"})
    limited = await ask(fake, g, ana, "exchange join", {"interests": "family"})
    assert "try again" in limited.text
    # ...and leaving still works.
    left = await ask(fake, g, ana, "exchange leave")
    assert "You have left pairing" in left.text
    assert (await bot.db.fetchone("SELECT status FROM members WHERE user_id = ?", (ana.id,)))[0] == "left"


def test_csv_cells_are_neutralised_and_round_trip():
    for text in FORMULAS:
        assert csv_cell(text) == "'" + text and csv_uncell(csv_cell(text)) == text
    assert csv_cell("Who tells the best stories?") == "Who tells the best stories?"
    assert csv_uncell("'quoted on purpose'") == "'quoted on purpose'"
    assert csv_cell(12) == 12


async def test_prompt_export_carries_no_live_formula_and_imports_back(fake, runner, world):
    w = world(members=0)
    g, mod = w["guild"], w["mod"]
    await runner.start()
    for text in FORMULAS:
        added = await ask(fake, g, mod, "prompts add", {"theme": "stories", "text": text})
        assert "Added prompt #" in added.text
    export = await ask(fake, g, mod, "prompts export")
    _, data = export.files[0]
    rows = list(csv.reader(io.StringIO(data.decode())))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    parsed = parse_prompt_file("prompts.csv", data, theme_slugs())
    assert set(FORMULAS) <= {r.text for r in parsed}
