"""Opening a search backend by name: the top of the indexer's chain of modules.

``SEARCH_BACKEND`` in kmrepo's configuration names one of :data:`BACKENDS`.
"""

from __future__ import annotations

import os

from .backend import SearchBackend

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
    # Each backend's module is imported when it is chosen (Whoosh's alone is a tenth of a start).
    if kind == "sqlite":
        from .sqlite_backend import SqliteBackend

        return SqliteBackend(os.path.join(folder, "fts5.sqlite3"))
    if kind == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(os.path.join(folder, "whoosh"))
    if kind == "postgres":
        from .postgres_backend import PostgresBackend

        return PostgresBackend(database_url)
    raise ValueError(f"unknown search backend {kind!r}; choose one of {', '.join(BACKENDS)}")
