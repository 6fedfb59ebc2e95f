"""Logs never tie a member to a group: every Discord id in every log record is redacted when it is made.

discord.py names routes such as `DELETE /channels/<thread id>/thread-members/<user id>` in its rate-limit
WARNING, and aiosqlite logs SQL parameters at DEBUG. Redacting at record creation covers every handler
(text, JSON, a test's capture) and third-party records alike, including a record's exception text.
"""

from __future__ import annotations

import logging
import re

# Discord ids are snowflakes: 17 to 20 digits today; 15 leaves room for any id a test or an old server has.
SNOWFLAKE = re.compile(r"(?<![\d.])\d{15,21}(?![\d.])")
REDACTED = "<id>"
QUIET_LIBRARIES = ("discord", "aiosqlite")
_formatter = logging.Formatter()


def redact(text: str) -> str:
    return SNOWFLAKE.sub(REDACTED, text)


class _RedactedRecord(logging.LogRecord):
    """A record whose exception text is redacted when a handler first formats it (not when it is made:
    formatting a traceback can happen inside the garbage collector, where it must not run)."""

    @property
    def exc_text(self) -> str | None:  # type: ignore[override]
        text = self.__dict__.get("_exc_text")
        if text is None and self.exc_info and self.exc_info[0] is not None:
            text = redact(_formatter.formatException(self.exc_info))
            self.__dict__["_exc_text"] = text
        return text

    @exc_text.setter
    def exc_text(self, value: str | None) -> None:
        self.__dict__["_exc_text"] = redact(value) if value else value


class _RedactingFactory:
    """Wraps the log record factory; installed once per process."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return record
        record.msg, record.args = redact(message), ()
        if type(record) is logging.LogRecord:
            record.__dict__["_exc_text"] = record.__dict__.pop("exc_text", None)
            record.__class__ = _RedactedRecord
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record


def install(level: int = logging.INFO) -> None:
    """Redact ids in all records from now on, and keep discord.py's and aiosqlite's DEBUG output (gateway
    payloads, SQL parameters) off whatever `level` the bot itself logs at."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(current))
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, level))
