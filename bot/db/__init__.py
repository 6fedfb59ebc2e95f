"""Storage: the SQLite connection, migrations and the query modules. The only place SQL lives."""

from bot.db.connection import Database, DatabaseError, StorageFault, open_database

__all__ = ["Database", "DatabaseError", "StorageFault", "open_database"]
