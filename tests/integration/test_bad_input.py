"""Bad input at every boundary gets a clear, ephemeral reply, and nothing is stored or lost."""

from __future__ import annotations

import pytest

BIG = b"theme,text\n" + b"stories,What story do you tell most often at dinner?\n" * 25_000  # > 1 MB

# (who, command, options, expected words in the reply)
TABLE = [
    ("member", "exchange join", {"timezone": "Mars/Olympus"}, "not a timezone"),
    ("member", "exchange join", {"interests": "cooking, stories"}, "not a theme"),
    ("member", "exchange pause", {"weeks": 3}, "not in pairing"),
    ("member", "prompt suggest", {"text": "x" * 1001, "theme": "stories"}, "1000 or fewer"),
    ("member", "prompt suggest", {"text": "short", "theme": "stories"}, "at least 10"),
    ("member", "prompt suggest", {"text": "What is your favourite holiday?", "theme": "food"}, "not a theme"),
    ("mod", "setup prompts", {"day": "monday", "time": "25:00"}, "HH:MM"),
    (
        "mod",
        "setup prompts",
        {"day": "monday", "time": "09:00", "timezone": "Europe/Atlantis"},
        "not a timezone",
    ),
    ("mod", "setup pairing", {"day": "monday", "time": "7pm"}, "HH:MM"),
    ("mod", "prompts add", {"theme": "stories", "text": "y" * 1001}, "1000 or fewer"),
    ("mod", "prompts edit", {"id": 999_999, "text": "A perfectly fine prompt?"}, "no prompt #999999"),
    ("mod", "prompts remove", {"id": 999_999}, "no prompt #999999"),
    (
        "mod",
        "prompts import",
        {"file": ("bad.csv", "théme,text\nstories,Qu'est-ce?\n".encode("cp1252"))},
        "not UTF-8",
    ),
    ("mod", "prompts import", {"file": ("bad.csv", b"topic,prompt\nstories,What?\n")}, "theme,text"),
    ("mod", "prompts import", {"file": ("big.csv", BIG)}, "limit"),
    ("mod", "prompts import", {"file": ("bad.json", b'{"theme": "stories"}')}, "list of objects"),
]


@pytest.mark.parametrize(
    ("who", "command", "options", "expected"), TABLE, ids=[f"{c}:{e}" for _, c, _, e in TABLE]
)
async def test_bad_input_table(fake, runner, world, who, command, options, expected):
    w = world(members=1)
    channel = fake.add_text_channel(w["guild"], "somewhere")
    await runner.start()
    person = w["members"][0] if who == "member" else w["mod"]
    opts = dict(options)
    if command.startswith("setup"):
        opts["channel"] = channel
    if "file" in opts:
        name, data = opts["file"]
        opts["file"] = fake.upload(name, data)
    reply = await (await fake.slash(w["guild"], person, command, opts)).reply()
    assert reply.ephemeral
    assert expected in reply.text, reply.text
    assert "Something went wrong" not in reply.text
    show = await (await fake.slash(w["guild"], w["mod"], "setup show")).reply()
    assert (
        "not set up (use `/setup prompts`)" in show.text and "not set up (use `/setup pairing`)" in show.text
    )


async def test_control_characters_and_mentions_are_cleaned_or_defused(fake, runner, world):
    w = world(members=1)
    await runner.start()
    g, ana, mod = w["guild"], w["members"][0], w["mod"]
    text = "What\x00 does <@&123> or @everyone\x1b mean to you?"
    reply = await (await fake.slash(g, ana, "prompt suggest", {"text": text, "theme": "dialogue"})).reply()
    assert "waiting for the moderators" in reply.text
    review = await (await fake.slash(g, mod, "prompts review")).reply()
    assert "\x00" not in review.text and "\x1b" not in review.text
    assert review.allowed_mentions == {"parse": []}
