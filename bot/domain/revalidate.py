"""Re-checking a saved round just before its groups are delivered (pure: no I/O).

A round is saved before any thread is opened, and delivery can happen much later (after a restart, or
once a moderator fixes a permission). Whatever changed in between must be honoured: a member who left,
paused, skipped, was excluded or erased their data is not delivered, and two members who now block each
other (either way) are never put in one thread. Groups are repaired where they can be; members who lose
their group are re-planned among themselves, or added to a repaired group, or sit out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.domain.pairing import pair_key


@dataclass(frozen=True)
class Revalidated:
    """`groups[i]` is what undelivered group i becomes (an empty tuple: the group is cancelled);
    `new_groups` are groups to add to the round; `sat_out` are members who were planned and now sit out."""

    groups: tuple[tuple[int, ...], ...]
    new_groups: tuple[tuple[int, ...], ...]
    sat_out: tuple[int, ...]

    @property
    def changed(self) -> bool:
        return bool(self.new_groups or self.sat_out) or any(len(g) == 0 for g in self.groups)


def _conflicts(member: int, others: Sequence[int], forbidden: Collection[tuple[int, int]]) -> int:
    return sum(1 for o in others if o != member and pair_key(member, o) in forbidden)


def _clean(group: list[int], forbidden: Collection[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Remove members until no forbidden pair is left: the one with the most conflicts goes first
    (on a tie, the one planned last). Returns (kept, displaced)."""
    kept = list(group)
    displaced: list[int] = []
    while kept:
        counts = [(_conflicts(m, kept, forbidden), i) for i, m in enumerate(kept)]
        worst, index = max(counts)
        if worst == 0:
            return kept, displaced
        displaced.append(kept.pop(index))
    return kept, displaced


def _place(
    alone: int,
    singles: list[int],
    groups: list[list[int]],
    new_groups: list[list[int]],
    forbidden: Collection[tuple[int, int]],
    group_size: int,
    odd_policy: str,
) -> bool:
    """Find a place for one member left over; False when they have to sit out."""
    if odd_policy == "trio":
        # As with an odd count: join a group that can take one more.
        for target in groups:
            if 2 <= len(target) <= group_size and _conflicts(alone, target, forbidden) == 0:
                target.append(alone)
                return True
    for target in groups:
        if len(target) < 2:
            continue
        for partner in list(target):
            if _conflicts(alone, [partner], forbidden):
                continue
            rest = [m for m in target if m != partner]
            if len(rest) >= 2:
                # A larger group gives up one member, who pairs with the one left over.
                target.remove(partner)
                new_groups.append([alone, partner])
                groups.append(new_groups[-1])
                return True
            other = rest[0]
            swap = next((s for s in singles if not _conflicts(s, [other], forbidden)), None)
            if swap is not None:
                # A pair splits so that two left over members each get one of them.
                singles.remove(swap)
                target[:] = [other, swap]
                new_groups.append([alone, partner])
                groups.append(new_groups[-1])
                return True
    return False


def revalidate(
    groups: Sequence[Sequence[int]],
    allowed: Collection[int],
    forbidden: Collection[tuple[int, int]],
    *,
    group_size: int,
    odd_policy: str,
) -> Revalidated:
    """Repair the undelivered `groups` of a saved round against the state at delivery.

    `allowed`: members who may be paired now (opted in, not paused, skipping, excluded or erased).
    `forbidden`: pair keys (`pair_key`) of members who must never share a group (blocks, either way).
    Every group returned has at least two members, only allowed members, and no forbidden pair.
    """
    allowed_set = set(allowed)
    repaired: list[list[int]] = []
    homeless: list[int] = []
    for group in groups:
        present = [m for m in group if m in allowed_set]
        kept, displaced = _clean(present, forbidden)
        homeless.extend(displaced)
        if len(kept) < 2:
            homeless.extend(kept)
            kept = []
        repaired.append(kept)

    # Re-plan the members who lost their group: first among themselves, in groups of the round's size.
    new_groups: list[list[int]] = []
    singles: list[int] = []
    waiting = list(homeless)
    while waiting:
        group = [waiting.pop(0)]
        for candidate in list(waiting):
            if len(group) >= group_size:
                break
            if _conflicts(candidate, group, forbidden) == 0:
                group.append(candidate)
                waiting.remove(candidate)
        if len(group) >= 2:
            new_groups.append(group)
        else:
            singles.append(group[0])
    groups_now = [*new_groups, *repaired]
    sat_out: list[int] = []
    while singles:
        alone = singles.pop(0)
        if not _place(alone, singles, groups_now, new_groups, forbidden, group_size, odd_policy):
            sat_out.append(alone)
    return Revalidated(
        groups=tuple(tuple(g) for g in repaired),
        new_groups=tuple(tuple(g) for g in new_groups),
        sat_out=tuple(sat_out),
    )
