"""The fake's spec checks stand on the vendored copy of Discord's OpenAPI file and cover every route it serves."""

from __future__ import annotations

import re

from tests.fakediscord import FakeDiscord, spec


def test_the_spec_is_vendored_with_its_licence_and_origin():
    folder = spec.SPEC_FILE.parent
    assert folder.parts[-3:] == ("tests", "fakediscord", "spec")
    assert (folder / "LICENSE").read_text().startswith("MIT License")
    readme = (folder / "README.md").read_text()
    assert "discord/discord-api-spec" in readme and "74fda0fad044407ea280043a03ffc9bc64c4e49e" in readme
    assert spec.operation("POST", "/channels/1/messages").operation_id == "create_message"


def _example(rx: str) -> str:
    """A concrete path for one of the fake's route patterns."""
    path = re.sub(r"\(\?P<\w+>\\d\+\|@me\)", "1", rx)
    path = re.sub(r"\(\?P<\w+>\\d\+\)", "1", path)
    path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "tok", path)
    return path.replace("(/bot)?", "/bot")


def test_every_route_the_fake_serves_is_one_of_discords():
    fake = FakeDiscord()
    routes = [(method, pattern.pattern.strip("^$")) for method, pattern, _ in fake._routes]
    assert len(routes) >= 25
    for method, rx in routes:
        path = _example(rx)
        op = spec.operation(method, path)
        assert op is not None, f"{method} {path} is not in Discord's API"


def test_literal_segments_win_over_parameters():
    assert spec.operation("PUT", "/channels/1/thread-members/@me").template.endswith("/@me")
    assert spec.operation("PATCH", "/webhooks/1/tok/messages/@original").template.endswith("/@original")
    assert spec.operation("PUT", "/channels/1/thread-members/2").template.endswith("{user_id}")
    assert spec.operation("GET", "/no/such/route") is None


def test_thread_creation_is_documented_as_201_and_messages_as_200():
    thread = spec.operation("POST", "/channels/1/threads")
    assert spec.documented_status(thread, 201) and not spec.documented_status(thread, 200)
    assert spec.documented_status(spec.operation("POST", "/channels/1/messages"), 200)
