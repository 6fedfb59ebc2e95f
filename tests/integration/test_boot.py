"""Start-up under the fake: commands synced once, membership survives a restart, no privileged intents."""

from __future__ import annotations

from tests.fakediscord import CommandHidden


async def test_sync_once_then_restart_keeps_membership(fake, runner, world):
    w = world()
    guild, alice = w["guild"], w["members"][0]
    await runner.start()
    assert len(fake.sync_requests) == 1
    assert fake.sync_requests[0][0] == "global"
    names = {c["name"] for c in fake.global_commands}
    assert "exchange" in names

    ex = await fake.slash(
        guild, alice, "exchange join", {"timezone": "Asia/Seoul", "interests": "stories, heritage"}
    )
    reply = await ex.reply()
    assert reply.ephemeral
    assert "You're in" in reply.text and "Asia/Seoul" in reply.text
    assert "/exchange forget" in reply.text

    await runner.restart()
    assert len(fake.sync_requests) == 1, "a restart with unchanged commands must not sync"
    reply = await (await fake.slash(guild, alice, "exchange status")).reply()
    assert "You are in pairing" in reply.text
    assert "Sharing stories" in reply.text and "Asia/Seoul" in reply.text
    assert fake.unknown_routes == []


async def test_identify_asks_for_no_privileged_intent(fake, runner, world):
    world()
    await runner.start()
    intents = fake.sessions[0].intents
    assert intents & ((1 << 1) | (1 << 8) | (1 << 15)) == 0
    assert intents & 1 and intents & (1 << 9)


async def test_dev_guild_sync_goes_to_that_guild_only(fake, runner, world):
    w = world()
    await runner.start(DEV_GUILD_ID=str(w["guild"]["id"]))
    assert [scope for scope, _ in fake.sync_requests] == [str(w["guild"]["id"])]
    ex = await fake.slash(w["guild"], w["members"][0], "exchange status")
    assert "not joined" in (await ex.reply()).text


async def test_status_differs_for_joined_and_not_and_leave(fake, runner, world):
    w = world()
    guild, bob = w["guild"], w["members"][1]
    await runner.start()
    before = (await (await fake.slash(guild, bob, "exchange status")).reply()).text
    assert "not joined" in before and "nothing is stored" in before
    reply = (await (await fake.slash(guild, bob, "exchange leave")).reply()).text
    assert "not in pairing" in reply
    await (await fake.slash(guild, bob, "exchange join")).reply()
    reply = (await (await fake.slash(guild, bob, "exchange leave")).reply()).text
    assert "You have left pairing" in reply
    after = (await (await fake.slash(guild, bob, "exchange status")).reply()).text
    assert "You left pairing" in after and after != before


async def test_bad_timezone_is_a_clear_ephemeral_error(fake, runner, world):
    w = world()
    await runner.start()
    reply = await (
        await fake.slash(w["guild"], w["members"][0], "exchange join", {"timezone": "Mars/Olympus"})
    ).reply()
    assert reply.ephemeral and "not a timezone" in reply.text and "UTC" in reply.text
    status = await (await fake.slash(w["guild"], w["members"][0], "exchange status")).reply()
    assert "not joined" in status.text


async def test_unknown_interests_are_refused(fake, runner, world):
    w = world()
    await runner.start()
    reply = await (
        await fake.slash(w["guild"], w["members"][0], "exchange join", {"interests": "cooking"})
    ).reply()
    assert "not a theme" in reply.text


async def test_timezone_autocomplete(fake, runner, world):
    w = world()
    await runner.start()
    choices = await fake.autocomplete(
        w["guild"], w["members"][0], "exchange join", {"timezone": "Asia/Se"}, "timezone"
    )
    assert {"name": "Asia/Seoul", "value": "Asia/Seoul"} in choices
    choices = await fake.autocomplete(
        w["guild"], w["members"][0], "exchange join", {"interests": "stories, her"}, "interests"
    )
    assert [c["value"] for c in choices] == ["stories, heritage"]


def test_command_hidden_error_is_an_assertion():
    assert issubclass(CommandHidden, AssertionError)


async def test_every_command_and_option_is_documented_with_help(fake, runner, world):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    world()
    await runner.start()
    for command in fake.global_commands:
        assert command["description"], command["name"]
        subs = [o for o in command.get("options", []) if o["type"] == 1]
        for sub in subs or [command]:
            path = f"/{command['name']} {sub['name']}" if subs else f"/{command['name']}"
            assert f"`{path}" in readme, f"{path} is missing from the README"
            assert sub["description"], path
            for option in sub.get("options", []) if subs else command.get("options", []):
                assert option["description"], f"{path} {option['name']}"
                assert option["name"] in readme.split(f"`{path}", 1)[1].split("\n", 1)[0], (
                    f"option {option['name']} of {path} is not in its README row"
                )
