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
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = redact(_formatter.formatException(record.exc_info))
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
