"""A loopback fake of Discord's REST API and gateway, for running the real bot in tests."""

from tests.fakediscord.payloads import FakeChannel, FakeMember, FakeRole
from tests.fakediscord.records import Exchange, Sent
from tests.fakediscord.server import CommandHidden, FakeDiscord

__all__ = ["CommandHidden", "Exchange", "FakeChannel", "FakeDiscord", "FakeMember", "FakeRole", "Sent"]
