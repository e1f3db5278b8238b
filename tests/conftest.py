"""Fixtures: every test gets a fresh temporary instance folder (database + index)."""

from __future__ import annotations

import itertools
import os
import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kmrepo import create_app
from kmrepo.db import session as db_session
from kmrepo.library.loader import load_paths

from .helpers import PASSWORD, ROLE_ACCOUNTS, SAMPLE_PLAN, AuthActions

REPO = Path(__file__).resolve().parent.parent
KM_PLANS = REPO.parent / "shared" / "km-plans"


#: ``KMREPO_TEST_POSTGRES=<server URL>`` (e.g. ``postgresql+psycopg://postgres@/postgres?host=/tmp/pg&port=54329``)
#: runs every test on a fresh PostgreSQL database of that server instead of SQLite.
POSTGRES = os.environ.get("KMREPO_TEST_POSTGRES", "")
_databases = itertools.count()


def database_url(tmp_path) -> dict:
    """The config that gives a test its own empty database: SQLite under its instance
    folder (the default), or a new database on the PostgreSQL server of
    :data:`POSTGRES`, with the search index in it (the ``postgres`` search backend)."""
    if not POSTGRES:
        return {}
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"kmtest_{os.getpid()}_{next(_databases)}"
    server = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    server.dispose()
    return {"DATABASE_URL": make_url(POSTGRES).set(database=name).render_as_string(hide_password=False),
            "SEARCH_BACKEND": "postgres"}


@pytest.fixture
def open_index(tmp_path):
    """``open_index(kind)``: a new, empty search backend of that kind for this test (the
    ``postgres`` one in a database of its own, and only in the PostgreSQL run)."""
    from indexer.registry import open_backend

    opened = []

    def open_(kind: str, folder: str = "ix"):
        if kind == "postgres":
            if not POSTGRES:
                pytest.skip("the postgres backend is tested in the PostgreSQL run (python -m tests.postgres)")
            backend = open_backend(kind, "", database_url(tmp_path / folder)["DATABASE_URL"])
        else:
            backend = open_backend(kind, str(tmp_path / folder))
        opened.append(backend)
        return backend

    yield open_
    for backend in opened:
        getattr(backend, "close", lambda: None)()


#: scrypt costs ~0.1 s a hash by design; tests hash hundreds of passwords.
CHEAP_HASHING = "pbkdf2:sha256:1000"


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    monkeypatch.setattr("kmrepo.accounts.models.PASSWORD_HASH_METHOD", CHEAP_HASHING)


@pytest.fixture(autouse=True)
def clock():
    """kmrepo's one clock (:mod:`kmrepo.clock`): a test moves it with
    ``clock.set_now(datetime(...))``, ``clock.advance(timedelta(...))`` or
    ``with clock.travel(...)``; it runs in real time again after every test."""
    from kmrepo import clock as the_clock

    yield the_clock
    the_clock.set_now(None)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """One site for the read-only tests of the whole run: the demo content, the five
    real KM plans (when ../shared is there) and an account per role (see
    :data:`tests.helpers.ROLE_ACCOUNTS`). Tests that use it must change nothing stored;
    those that write get the function-scoped ``app`` instead."""
    from kmrepo.accounts import models as account_models
    from kmrepo.accounts.service import create_user
    from kmrepo.cli import demo_content_path

    hashing, account_models.PASSWORD_HASH_METHOD = account_models.PASSWORD_HASH_METHOD, CHEAP_HASHING
    instance = tmp_path_factory.mktemp("site")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance / "instance"), **database_url(instance)})
    with app.app_context():
        paths = [demo_content_path(), *([str(KM_PLANS)] if KM_PLANS.is_dir() else [])]
        report = load_paths(db_session(), paths)
        assert not report.errors, report.errors
        for name, roles in ROLE_ACCOUNTS.items():
            create_user(db_session(), name, PASSWORD, full_name=f"ทดสอบ {name}", position="เจ้าพนักงาน",
                        department="กองคลัง", roles=roles)
        from kmrepo.accounts.models import User
        from kmrepo.training.models import TrainingRecord

        reader = db_session().scalar(select(User).where(User.username == "reader"))
        db_session().add(TrainingRecord(trainee=reader, unit_id=reader.department_id, course="การจัดเก็บภาษีป้าย",
                                        returned_on=date(2026, 11, 20)))
        db_session().commit()
        from kmrepo.plans.service import import_plan

        import_plan(db_session(), SAMPLE_PLAN, "sample-plan.txt")
    account_models.PASSWORD_HASH_METHOD = hashing
    return app


@pytest.fixture
def site_client(site):
    """A browser of its own (no cookies yet) on the shared read-only ``site``."""
    return site.test_client()


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), **database_url(tmp_path)})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs ``kmrepo`` commands against the test app: ``runner.invoke(args=[...])``."""
    from kmrepo.cli import cli

    class Runner:
        def invoke(self, args):
            return app.test_cli_runner().invoke(cli, args=args)

    return Runner()


@pytest.fixture
def write_entry(tmp_path):
    """Write a Markdown entry file: ``write_entry("slug", "body", title=..., **front_matter)``."""
    folder = tmp_path / "entries"
    folder.mkdir(exist_ok=True)

    def write(stem: str, body: str, folder=folder, **meta) -> Path:
        meta.setdefault("title", stem)
        lines = ["---"]
        for key, value in meta.items():
            if isinstance(value, (list, tuple)):
                lines.append(f"{key}: [{', '.join(value)}]")
            else:
                lines.append(f"{key}: {value}")
        lines.append("---")
        path = Path(folder) / f"{stem}.md"
        path.write_text("\n".join(lines) + "\n" + textwrap.dedent(body), encoding="utf-8")
        return path

    write.folder = folder
    return write


@pytest.fixture
def load(app):
    """Load paths through the real loader, as ``kmrepo load`` does; returns the report."""

    def do_load(*paths):
        with app.app_context():
            return load_paths(db_session(), [str(p) for p in paths])

    return do_load


@pytest.fixture(scope="session")
def km_plans():
    if not KM_PLANS.is_dir():  # pragma: no cover - shared/ sits beside the repository in CI
        pytest.skip("../shared/km-plans is not present")
    return KM_PLANS


@pytest.fixture
def users(app):
    """Accounts named after their role (``reader``, ``contributor``, ``supervisor``,
    ``km_team``, ``cko``, ``admin``), all in กองคลัง, password :data:`PASSWORD`."""
    from kmrepo.accounts.service import create_user

    with app.app_context():
        for name, roles in ROLE_ACCOUNTS.items():
            create_user(db_session(), name, PASSWORD, full_name=f"ทดสอบ {name}", position="เจ้าพนักงาน",
                        department="กองคลัง", roles=roles)
    return ROLE_ACCOUNTS


@pytest.fixture
def auth(client, users):
    """Sign-in helpers over ``client``: ``auth.login("km_team")``, ``auth.logout()``,
    ``auth.post(path, data)`` (with CSRF token)."""
    return AuthActions(client)
