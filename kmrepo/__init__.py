"""kmrepo: a knowledge repository with full-text Thai search for Thai local government.

:func:`create_app` is the only way an application comes to exist (see README.md).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from importlib import resources
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the kmrepo application.

    The instance folder (database, search index, secret key, ``config.py``) is
    ``test_config["INSTANCE_PATH"]``, else ``$KMREPO_INSTANCE``, else ``./instance``.
    Settings come from defaults, then ``<instance>/config.py`` (if present), then the
    environment (``KMREPO_DATABASE_URL``, ``KMREPO_SEARCH_BACKEND``, ``KMREPO_UPLOAD_DIR``), then ``test_config``. Nothing is loaded into
    the database here; the schema is brought up to date (Alembic) on every start.
    """
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("KMREPO_INSTANCE", "instance")
    instance = os.path.abspath(instance)
    app = Flask(
        __name__,
        instance_path=instance,
        template_folder=str(resources.files("kmrepo.templates")),
        static_folder="static",
    )
    os.makedirs(instance, mode=0o700, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL="sqlite:///" + os.path.join(instance, "kmrepo.sqlite3"),
        INDEX_DIR=os.path.join(instance, "index"),
        UPLOAD_DIR=os.path.join(instance, "uploads"),  # a shared folder when several app servers run
        SEARCH_BACKEND="sqlite",  # or "whoosh", or "postgres" with PostgreSQL (see README "Search backends")
        PAGE_SIZE=10,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        UPLOAD_MAX_BYTES=10 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),  # renewed by activity
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        TRUSTED_PROXIES=0,  # reverse proxies in front of kmrepo whose X-Forwarded-* headers are believed
        TRAINING_DUE_OFF_HOLIDAYS=False,  # ป.พ.พ. มาตรา ๑๙๓/๘ for report due dates (docs/users/admin.md)
        TRAINING_FOLLOW_UP_DAYS=90,  # days after approval within which supervisors follow up
        MAIL_SERVER="", MAIL_PORT=25, MAIL_FROM="", MAIL_USERNAME="", MAIL_PASSWORD="", MAIL_STARTTLS=False,
    )
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("KMREPO_DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["KMREPO_DATABASE_URL"]
    if os.environ.get("KMREPO_UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = os.environ["KMREPO_UPLOAD_DIR"]
    if os.environ.get("KMREPO_SEARCH_BACKEND"):
        app.config["SEARCH_BACKEND"] = os.environ["KMREPO_SEARCH_BACKEND"]
    if os.environ.get("KMREPO_TRUSTED_PROXIES", "").isdigit():
        app.config["TRUSTED_PROXIES"] = int(os.environ["KMREPO_TRUSTED_PROXIES"])
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies (nginx, a TLS terminator): their X-Forwarded-For,
        # -Proto and -Host are believed, so HTTPS is seen (Secure cookies) and the real
        # client address is rate-limited (docs/deployment.md).
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.json.ensure_ascii = False

    from flask_wtf.csrf import CSRFProtect

    from indexer import vocabulary
    from indexer.registry import open_backend

    from . import db, web
    from .accounts import views as accounts_views
    from .corner import views as corner_views
    from .library import index_sync
    from .library import views as library_views
    from .plans import views as plans_views
    from .training import views as training_views

    # The KM team's own vocabulary (see README "Vocabulary"): <instance>/vocabulary/*.txt
    vocab = os.path.join(instance, "vocabulary")
    vocabulary.configure([os.path.join(vocab, "words.txt")], [os.path.join(vocab, "synonyms.txt")])
    app.extensions["kmrepo.search"] = open_backend(app.config["SEARCH_BACKEND"], app.config["INDEX_DIR"],
                                                   app.config["DATABASE_URL"])
    db.init_app(app)
    db.on_new_session(app, lambda s: index_sync.watch(s, app.extensions["kmrepo.search"]))
    db.upgrade(app)
    _keep_private(app)
    _index_ready(app)
    app.url_map.converters["id"] = web.IdConverter
    web.init_app(app)
    accounts_views.init_app(app)
    CSRFProtect(app)  # checks the token of every POST: forms and one-button actions alike
    # One blueprint per area; each page beside its JSON twin (docs/architecture.md).
    for area in (accounts_views, library_views, training_views, corner_views, plans_views):
        app.register_blueprint(area.bp)
    return app


def _index_ready(app: Flask) -> None:
    """Rebuild the search index from the database if it is missing or outdated (a new
    instance, or a kmrepo upgrade that changed the analysis or the vocabulary), else
    repair what a crash or a failed update left behind (:func:`index_sync.repair`)."""
    from . import db
    from .library import index_sync

    with app.app_context():
        started = time.perf_counter()
        backend = app.extensions["kmrepo.search"]
        n = index_sync.ensure_current(db.session(), backend)
        indexed, removed = (0, 0) if n is not None else index_sync.repair(db.session(), backend)
    if n:
        app.logger.warning("search index was missing or outdated: rebuilt %d entries from the database in %.1f s",
                           n, time.perf_counter() - started)
    if indexed or removed:
        app.logger.warning("search index repaired from the database: %d entries indexed again, %d removed",
                           indexed, removed)


def _keep_private(app: Flask) -> None:
    """The instance folder holds password hashes, session tokens and internal entries:
    its folders are made 0700 and its databases 0600 (SQLite gives its -wal and -shm
    files the database's mode), as the secret key and uploads already are."""
    folders = [app.instance_path, app.config["INDEX_DIR"], app.config["UPLOAD_DIR"]]
    for folder in folders:
        if os.path.isdir(folder):
            os.chmod(folder, 0o700)
    url = app.config["DATABASE_URL"]
    files = [url[len("sqlite:///"):]] if url.startswith("sqlite:///") else []
    files += [os.path.join(app.config["INDEX_DIR"], "fts5.sqlite3")]
    for path in files:
        for candidate in (path, path + "-wal", path + "-shm"):
            if os.path.isfile(candidate):
                os.chmod(candidate, 0o600)


def _instance_secret(instance: str) -> str:
    """The secret key kept in ``<instance>/secret_key``, generated once (mode 0600)."""
    path = os.path.join(instance, "secret_key")
    try:
        with open(path, encoding="ascii") as fh:
            key = fh.read().strip()
            if key:
                return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
