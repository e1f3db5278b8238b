"""Database engine and sessions for one app; schema upgrades through Alembic.

Alembic itself is imported only when the schema is behind (:func:`upgrade`): a start on
an up-to-date database, every ``kmrepo`` command's, reads one row instead.

Each app owns an engine and a session factory (``app.extensions["kmrepo.db"]``). A request
or CLI command gets one session (:func:`session`), closed when the app context ends.
"""

from __future__ import annotations

import os
from importlib import resources

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def init_app(app: Flask) -> None:
    """Create the engine for ``app.config["DATABASE_URL"]`` and register teardown."""
    url = app.config["DATABASE_URL"]
    kwargs = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["kmrepo.db"] = (engine, factory)
    app.extensions["kmrepo.session_hooks"] = []
    app.teardown_appcontext(_close_session)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["kmrepo.db"][0]


def session() -> Session:
    """The session of the current app context (created on first use).

    Each function of :func:`on_new_session` is called with it first: the app factory
    makes its commits bring the search index up to date (:mod:`kmrepo.library.index_sync`).
    """
    if "db_session" not in g:
        s = current_app.extensions["kmrepo.db"][1]()
        for hook in current_app.extensions["kmrepo.session_hooks"]:
            hook(s)
        g.db_session = s
    return g.db_session


def on_new_session(app: Flask, hook) -> None:
    """Call ``hook(session)`` on every new session of ``app`` (:func:`session`)."""
    app.extensions["kmrepo.session_hooks"].append(hook)


def _close_session(_exc) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def alembic_config(url: str):
    """An Alembic ``Config`` for kmrepo's migrations (inside the package) and ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("kmrepo") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration's revision: the number its file name starts with
    (``versions/0011_document_dates_slugs.py`` is revision "0011"; a test holds every
    migration to this, and this to Alembic's own head)."""
    names = (p.name for p in (resources.files("kmrepo") / "migrations" / "versions").iterdir())
    return max(name[:4] for name in names if name[:4].isdigit() and name.endswith(".py"))


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (Alembic's ``alembic_version`` row), or
    None for a new database."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(app: Flask) -> None:
    """Bring the database schema to the newest revision (creates the file if needed);
    nothing beyond one read when it is there already."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])), exist_ok=True)
    engine = app.extensions["kmrepo.db"][0]
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    if url.startswith("sqlite"):
        # pysqlite begins a transaction only before data changes, so a schema upgrade
        # killed half-way would leave half the tables. For the upgrade alone, SQLAlchemy's
        # documented recipe: the driver does no transaction handling and the transaction
        # begins with BEGIN, schema changes included, so a migration is all or nothing.
        # (Not for the site's own work: a read that later writes would then fail at once
        # when another writer committed in between, instead of waiting its turn.)
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        event.listen(engine, "connect", _transactional_ddl)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if engine is not app.extensions["kmrepo.db"][0]:
            engine.dispose()


def _transactional_ddl(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    _sqlite_pragmas(dbapi_connection, _record)
