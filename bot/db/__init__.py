"""Storage: the SQLite connection, migrations and the query modules. The only place SQL lives."""

from bot.db.connection import Database, DatabaseError, open_database

__all__ = ["Database", "DatabaseError", "open_database"]
