"""Errors a user can fix. The tree's error handler shows their message, ephemerally, as it is."""


class UserError(Exception):
    """A mistake the person can fix; the message says what to do."""


class NotAllowed(UserError):
    """The person may not use this (for example a moderator command without the moderator role)."""


class DeliveryProblem(Exception):
    """Discord refused a delivery for a reason a moderator can fix (channel deleted, permission missing)."""
