"""Opening a search backend by name: the top of the indexer's chain of modules.

``SEARCH_BACKEND`` in kmrepo's configuration names one of :data:`BACKENDS`.
"""

from __future__ import annotations

import os

from .backend import SearchBackend
from .sqlite_backend import SqliteBackend
from .whoosh_backend import WhooshBackend

#: Backends :func:`open_backend` knows, by the name used in kmrepo's ``SEARCH_BACKEND``.
BACKENDS = ("sqlite", "whoosh")


def open_backend(kind: str, folder: str) -> SearchBackend:
    """Open (creating when missing) the ``kind`` backend's index inside ``folder``.

    ``"sqlite"`` (the default: SQLite FTS5, ``<folder>/fts5.sqlite3``) or ``"whoosh"``
    (``<folder>/whoosh/``). Raises ValueError for another name.
    """
    if kind == "sqlite":
        return SqliteBackend(os.path.join(folder, "fts5.sqlite3"))
    if kind == "whoosh":
        return WhooshBackend(os.path.join(folder, "whoosh"))
    raise ValueError(f"unknown search backend {kind!r}; choose one of {', '.join(BACKENDS)}")
