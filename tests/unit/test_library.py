"""Every prompt of the shipped library, checked: the rules in bot/data/library.json's `schema`."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.domain import calendar
from bot.domain.prompt_files import DEPTHS, normalise
from bot.domain.themes import library, theme_slugs

# Fingerprints of every 8-word run in the essays (see the file's header), so the essays need not be copied.
ESSAY_RUNS = {
    line
    for line in (Path(__file__).parent / "seed_runs.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
}
MIN_LEN, MAX_LEN = 20, 300

# A prompt that names any of these needs a content note (family rejection, discrimination, violence,
# migration and loss, coming out, grief, faith).
SENSITIVE = re.compile(
    r"\b(reject\w*|disown\w*|estrang\w*|cut off|kicked out|discriminat\w*|racis\w*|homophob\w*|biphob\w*|"
    r"transphob\w*|prejudice\w*|slurs?|harass\w*|bull(y|ied|ying)|hate|hatred|hostil\w*|violen\w*|attack\w*|"
    r"assault\w*|abus\w*|war|wars|migrat\w*|immigra\w*|emigra\w*|refugee\w*|deport\w*|left behind|"
    r"leave behind|exile\w*|coming out|come out|came out|comes out|closet\w*|outed|out everywhere|grief|"
    r"griev\w*|mourn\w*|funeral\w*|died|death|passed away|lost|loss|losses|too late|faith\w*|religio\w*|"
    r"church\w*|temples?|mosques?|pray\w*|congregation\w*|spiritual\w*|god|gods)\b",
    re.IGNORECASE,
)
NAMES_A_COMMUNITY = re.compile(
    r"queer|asian|diaspora|mixed heritage|lgbtq|\btrans\b|bi\+|between languages|between cultures|"
    r"chosen family|pride",
    re.IGNORECASE,
)
OTHER_COMMUNITY = re.compile(
    r"other community|other's community|community you're not part of|communities you're not part of|"
    r"community that isn't yours|either community|the other side|from the other|another community|"
    r"movement the other|the other's",
    re.IGNORECASE,
)


def rotation() -> list[dict]:
    return library()["prompts"]


def dated() -> list[dict]:
    return library()["calendar"]


def everything() -> list[dict]:
    return rotation() + dated()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def wordings(prompt: dict) -> list[str]:
    return [prompt["text"], *([prompt["pair_text"]] if prompt.get("pair_text") else [])]


def test_the_library_documents_its_schema():
    schema = library()["schema"]
    for field in ("theme", "text", "pair_text", "depth", "content_note", "pack"):
        assert field in schema["prompts"] + schema["calendar"]


def test_at_least_240_rotation_prompts_and_12_for_every_theme():
    counts = Counter(p["theme"] for p in rotation())
    assert len(rotation()) >= 240
    assert set(counts) == set(theme_slugs())
    assert min(counts.values()) >= 12


@pytest.mark.parametrize("index", range(len(library()["prompts"]) + len(library()["calendar"])))
def test_every_prompt_has_a_known_theme_depth_and_a_sensible_length(index):
    prompt = everything()[index]
    assert prompt["theme"] in theme_slugs()
    assert prompt["depth"] in DEPTHS
    for text in wordings(prompt):
        assert MIN_LEN <= len(text) <= MAX_LEN, text
        assert text == text.strip() and "\n" not in text


def test_no_wording_appears_twice():
    seen = Counter(normalise(t) for p in everything() for t in wordings(p))
    assert [t for t, n in seen.items() if n > 1] == []


def test_a_prompt_that_touches_a_sensitive_subject_has_a_content_note():
    missing = [
        (found.group(0), text)
        for p in everything()
        for text in wordings(p)
        if (found := SENSITIVE.search(text)) and not p.get("content_note")
    ]
    assert missing == []


def test_the_sensitive_word_list_catches_what_it_should():
    assert SENSITIVE.search("Share only what you want about coming out to your parents.")
    assert SENSITIVE.search("A festival at the temple")
    assert not SENSITIVE.search("What's a dish that means family to you?")


def fingerprint(run: tuple[str, ...]) -> str:
    return hashlib.sha256(" ".join(run).encode()).hexdigest()[:16]


def test_no_run_of_eight_words_is_taken_from_the_essays():
    assert len(ESSAY_RUNS) > 1000
    # A run known to be in the essays is recognised, so the check below can fail.
    assert (
        fingerprint(("cultural", "exchange", "programs", "provide", "a", "platform", "for", "individuals"))
        in ESSAY_RUNS
    )
    shared = [
        t for p in everything() for t in wordings(p) if {fingerprint(r) for r in shingles(t)} & ESSAY_RUNS
    ]
    assert shared == []


def test_pair_wording_speaks_to_the_pair_not_to_the_server():
    for p in everything():
        pair = p.get("pair_text") or p["text"]
        assert not re.search(r"\btell us\b|\bgive us\b|\bshare with us\b|\beveryone here\b", pair, re.I), pair


def test_each_theme_has_light_prompts_to_start_a_server_and_a_pair_thread():
    light = Counter(p["theme"] for p in rotation() if p["depth"] == "light")
    assert all(light[slug] >= 3 for slug in theme_slugs())
    depths = Counter(p["depth"] for p in rotation())
    assert depths["deep"] >= 32 and depths["medium"] >= 64


def test_many_prompts_name_the_communities_and_invite_learning_about_the_other():
    naming = [p for p in rotation() if NAMES_A_COMMUNITY.search(p["text"])]
    crossing = [p for p in rotation() if any(OTHER_COMMUNITY.search(t) for t in wordings(p))]
    assert len(naming) >= 40
    assert len(crossing) >= 20


def test_a_public_prompt_that_addresses_one_group_also_invites_everyone():
    """Answering in public must never reveal which community a member belongs to."""
    addresses = re.compile(
        r"^(For (queer|Asian-heritage|members|trans)\b|If you grew up|If you're of mixed|If you're both|"
        r"If your family|For members of mixed|If you've come out)"
    )
    # "Answer whichever fits" is not enough: answering the queer members' question would say who is queer.
    open_to_all = re.compile(r"everyone|if that isn't you|if your family stayed|if none yet", re.I)
    narrow = [
        p["text"] for p in everything() if addresses.search(p["text"]) and not open_to_all.search(p["text"])
    ]
    assert narrow == []
    assert len([p for p in everything() if addresses.search(p["text"])]) >= 15


def test_every_shipped_pack_has_prompts_and_every_dated_prompt_a_shipped_pack():
    packs = Counter(p["pack"] for p in dated())
    assert set(packs) == set(calendar.SHIPPED_BY_KEY)
    assert min(packs.values()) >= 2
    # A day of remembrance is not met with a light, cheerful prompt.
    assert {p["depth"] for p in dated() if p["pack"] == "trans-remembrance"} <= {"medium", "deep"}


def test_the_readme_describes_the_library_as_it_is():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    depths = Counter(p["depth"] for p in rotation())
    assert f"({len(rotation())} weekly prompts over 16 themes" in readme
    assert f"and {len(dated())} calendar prompts" in readme
    assert (
        f"`light` ({depths['light']}), `medium` ({depths['medium']}) or `deep` ({depths['deep']})" in readme
    )
    for pack in calendar.SHIPPED_PACKS:
        assert f"| `{pack.key}` |" in readme
