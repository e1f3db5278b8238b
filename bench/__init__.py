"""kmrepo benchmarks: ``python -m bench`` (or ``make bench``)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

_databases = itertools.count()


@contextmanager
def search_backend(kind: str, folder: str) -> Iterator[object]:
    """An empty search backend of ``kind`` to measure: an embedded one in ``folder``;
    the ``postgres`` one in a new database of ``$KMREPO_BENCH_POSTGRES`` (a server URL,
    ``postgresql+psycopg://…/postgres``), else of a throwaway server started for the
    run (``tests.postgres.throwaway_server``; raises ``tests.postgres.Unavailable``
    when none can be had)."""
    from indexer.registry import EMBEDDED, open_backend

    if kind in EMBEDDED:
        yield open_backend(kind, folder)
        return
    with ExitStack() as stack:
        server = os.environ.get("KMREPO_BENCH_POSTGRES")
        if not server:
            from tests.postgres import throwaway_server

            server = stack.enter_context(throwaway_server(port="54339"))
        import psycopg
        from sqlalchemy.engine import make_url

        from indexer.postgres_backend import connection_info

        name = f"kmbench_{os.getpid()}_{next(_databases)}"
        url = make_url(server)
        conninfo = connection_info(server)
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        backend = open_backend(kind, folder, url.set(database=name).render_as_string(hide_password=False))
        try:
            yield backend
        finally:
            backend.close()
            with psycopg.connect(conninfo, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name}")
