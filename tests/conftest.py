"""Fixtures: every test gets a fresh temporary instance folder (database + index)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kmrepo import create_app
from kmrepo.db import session as db_session
from kmrepo.loader import load_paths

REPO = Path(__file__).resolve().parent.parent
KM_PLANS = REPO.parent / "shared" / "km-plans"


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
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


def search(client, q, **params):
    """GET /api/search and return the JSON."""
    resp = client.get("/api/search", query_string={"q": q, **params})
    assert resp.status_code == 200
    return resp.get_json()


