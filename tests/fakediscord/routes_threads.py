"""REST routes for threads and thread members."""

from __future__ import annotations

from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord import rules
from tests.fakediscord.errors import DiscordError
from tests.fakediscord.gateway import GUILDS_INTENT


class ThreadRoutes:
    ROUTES = (
        ("POST", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/threads", "_thread_from_message"),
        ("POST", r"/channels/(?P<cid>\d+)/threads", "_thread_without_message"),
        ("PUT", r"/channels/(?P<cid>\d+)/thread-members/(?P<uid>\d+|@me)", "_add_thread_member"),
        ("DELETE", r"/channels/(?P<cid>\d+)/thread-members/(?P<uid>\d+|@me)", "_remove_thread_member"),
    )

    def _new_thread(
        self, parent: p.FakeChannel, body: dict[str, Any], kind: int, invitable: bool
    ) -> p.FakeChannel:
        rules.check_new_thread(parent.type, body, kind)
        thread = p.FakeChannel(
            p.snowflake(), parent.guild_id, body["name"], kind, parent.id, self.bot_user.id, invitable
        )
        thread.auto_archive_duration = body.get("auto_archive_duration") or 10080
        self.channels[thread.id] = thread
        self.messages[thread.id] = []
        self.thread_members[thread.id] = {self.bot_user.id}
        return thread

    def _created(self, thread: p.FakeChannel) -> dict[str, Any]:
        """The created thread, with the bot's own thread member (resources/channel "Start Thread ...")."""
        return {
            **thread.payload(),
            "member": {
                "id": str(thread.id),
                "user_id": str(self.bot_user.id),
                "join_timestamp": p.iso_now(),
                "flags": 0,
            },
        }

    def _announce_thread(self, thread: p.FakeChannel) -> None:
        self._dispatch_guild_event(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, GUILDS_INTENT
        )

    async def _thread_from_message(self, body: Any, cid: str, mid: str, **_: Any) -> Any:
        parent = self._channel(cid)
        self._require(parent, p.CREATE_PUBLIC_THREADS)
        if self._find_sent(parent.id, int(mid)) is None:
            raise DiscordError(404, 10008, "Unknown Message")
        if any(c.id == int(mid) for c in self.channels.values()):
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(parent, body or {}, 11, True)
        # Discord gives a thread started from a message that message's id.
        del self.channels[thread.id]
        self.messages.pop(thread.id)
        members = self.thread_members.pop(thread.id)
        thread.id = int(mid)
        self.channels[thread.id] = thread
        self.messages[thread.id] = []
        self.thread_members[thread.id] = members
        for sent in self.messages.get(parent.id, []):
            if sent.id == int(mid):
                sent.thread_id = thread.id
        self._announce_thread(thread)
        return self._created(thread)

    async def _thread_without_message(self, body: Any, cid: str, **_: Any) -> Any:
        parent = self._channel(cid)
        kind = int(body.get("type", 12))
        self._require(parent, p.CREATE_PRIVATE_THREADS if kind == 12 else p.CREATE_PUBLIC_THREADS)
        thread = self._new_thread(parent, body, kind, bool(body.get("invitable", True)))
        self._announce_thread(thread)
        return self._created(thread)

    def _may_manage_members(self, thread: p.FakeChannel, *, removing: bool) -> None:
        """resources/channel "Add Thread Member": needs to be able to send messages in the thread, and the
        thread not archived; "Remove Thread Member": Manage Threads, or being the creator of a private
        thread. channel "Thread Metadata": in a private thread that is not `invitable`, only moderators (and
        the creator) add others. topics/threads: a private thread is visible only to its members and to
        those with Manage Threads (so the bot must be one of them)."""
        if not thread.is_thread:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type", refusal=True)
        self._require(thread, p.SEND_MESSAGES_IN_THREADS)
        if thread.archived:
            raise rules.archived_thread()
        manages = bool(self.bot_permissions_in(thread) & p.MANAGE_THREADS)
        creator = thread.owner_id == self.bot_user.id
        if removing and not (manages or (creator and thread.type == 12)):
            raise DiscordError(403, 50013, "Missing Permissions")
        if not removing and thread.type == 12 and not thread.invitable and not (manages or creator):
            raise DiscordError(403, 50013, "Missing Permissions")

    async def _add_thread_member(self, cid: str, uid: str, **_: Any) -> Any:
        thread = self._channel(cid)
        user_id = self.bot_user.id if uid == "@me" else int(uid)
        if uid != "@me":
            self._may_manage_members(thread, removing=False)
        if user_id not in self.members.get(thread.guild_id or 0, {}):
            raise DiscordError(404, 10007, "Unknown Member")
        self.thread_members.setdefault(thread.id, set()).add(user_id)
        return None

    async def _remove_thread_member(self, cid: str, uid: str, **_: Any) -> Any:
        thread = self._channel(cid)
        user_id = self.bot_user.id if uid == "@me" else int(uid)
        if uid != "@me":
            self._may_manage_members(thread, removing=True)
        if user_id not in self.thread_members.get(thread.id, set()):
            raise DiscordError(404, 10007, "Unknown Member")
        self.thread_members[thread.id].discard(user_id)
        return None
