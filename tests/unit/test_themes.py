"""Theme slugs and a member's interests, as /exchange join reads them."""

from __future__ import annotations

import pytest

from bot.domain.themes import Theme, library, parse_interests, shipped_themes, theme_slugs
from bot.errors import UserError


def test_the_shipped_themes_in_library_order():
    themes = shipped_themes()
    assert len(themes) == 16
    assert themes[0] == Theme(
        "stories",
        "Sharing stories",
        "Personal stories and experiences, struggles and triumphs, told and listened to.",
    )
    assert themes[-1].slug == "family" and themes[-1].name == "Family and community"
    assert theme_slugs() == tuple(t["slug"] for t in library()["themes"])
    assert all(t.description for t in themes)


@pytest.mark.parametrize("raw", [None, "", "   ", ",", " , ,"])
def test_no_interests(raw):
    assert parse_interests(raw) == ()


def test_slugs_and_display_names_in_the_members_order_without_duplicates():
    assert parse_interests("family, Sharing stories ,IDENTITY,stories,, family") == (
        "family",
        "stories",
        "identity",
    )
    assert parse_interests("intergenerational dialogue") == ("intergenerational",)
    assert parse_interests(" ,family,,  ,identity") == ("family", "identity")  # empty items are skipped


def test_a_server_specific_list_of_known_slugs():
    known = ("cooking", "music")
    assert parse_interests("Music, cooking", known) == ("music", "cooking")
    # A display name of a shipped theme still maps to its slug.
    assert parse_interests("Sharing stories", known) == ("stories",)
    with pytest.raises(UserError) as error:
        parse_interests("gardening", known)
    assert "`gardening` is not a theme" in str(error.value)
    assert "`cooking, music`" in str(error.value)


def test_an_unknown_theme_is_named_with_examples_from_the_library():
    with pytest.raises(UserError) as error:
        parse_interests("family,  Knitting  ")
    message = str(error.value)
    assert "`Knitting` is not a theme" in message
    assert f"`{theme_slugs()[0]}, {theme_slugs()[-1]}`" in message
