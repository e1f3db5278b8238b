"""Opening a search backend by name: the top of the indexer's chain of modules.

``SEARCH_BACKEND`` in kmrepo's configuration names one of :data:`BACKENDS`.
"""

from __future__ import annotations

import os

from .backend import SearchBackend
from .postgres_backend import PostgresBackend
from .sqlite_backend import SqliteBackend
from .whoosh_backend import WhooshBackend

#: Backends :func:`open_backend` knows, by the name used in kmrepo's ``SEARCH_BACKEND``.
BACKENDS = ("sqlite", "whoosh", "postgres")
#: The backends whose index is a folder on this machine (the others live in the database).
EMBEDDED = ("sqlite", "whoosh")


def open_backend(kind: str, folder: str, database_url: str = "") -> SearchBackend:
    """Open (creating when missing) the ``kind`` backend's index.

    ``"sqlite"`` (the default: SQLite FTS5, ``<folder>/fts5.sqlite3``), ``"whoosh"``
    (``<folder>/whoosh/``) or ``"postgres"`` (tables in the PostgreSQL database of
    ``database_url``, a SQLAlchemy or libpq URL; ``folder`` is unused). Raises
    ValueError for another name, or for ``"postgres"`` with a URL of another database.
    """
    if kind == "sqlite":
        return SqliteBackend(os.path.join(folder, "fts5.sqlite3"))
    if kind == "whoosh":
        return WhooshBackend(os.path.join(folder, "whoosh"))
    if kind == "postgres":
        return PostgresBackend(database_url)
    raise ValueError(f"unknown search backend {kind!r}; choose one of {', '.join(BACKENDS)}")
