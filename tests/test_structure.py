"""The shape of the code, as a newcomer relies on it: layers that a tool checks, every
page beside its JSON twin, one clock."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kmrepo.accounts.models import AuditEvent
from kmrepo.db import session as db_session
from kmrepo.library.models import AccessLog
from kmrepo.thai_dates import THAI_TZ

from .helpers import AuthActions

REPO = Path(__file__).resolve().parent.parent

#: GET pages that are forms (their data is what the user types) or files, not views of
#: data: they have no JSON twin, on purpose.
NOT_DATA_PAGES = {
    "accounts.login", "accounts.password", "accounts.user_new", "accounts.user_edit",
    "library.entry_new", "library.entry_edit", "library.item_new", "library.item_edit", "library.access_logs", "library.attachment", "static",
    "training.record_new", "training.record_edit", "training.report", "training.print_report",
    "training.deadlines_xlsx", "training.attachment", "library.changes_feed", "corner.unit_new", "corner.unit_edit",
    "library.health", "library.favicon", "plans.plan_new", "plans.plan_edit", "plans.activity_new", "plans.activity_edit",
    "plans.kpi_print", "plans.kpi_xlsx", "plans.evidence",
}


def test_the_layers_hold():
    """import-linter checks the contracts in pyproject.toml (docs/architecture.md):
    indexer imports nothing of kmrepo or Flask and is a one-way chain; services,
    policies and models never import Flask; areas depend downwards and never reach
    into another area's views."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "6 kept" in result.stdout


def _sample_args(app) -> dict[str, object]:
    """A real value for every URL variable name the site uses, from the site's data."""
    with app.app_context():
        client = app.test_client()
        entry = client.get("/api/entries").get_json()["entries"][0]["slug"]
        item = client.get("/api/items").get_json()[0]["id"]
        tag = client.get("/api/tags").get_json()[0]["name"]
        from kmrepo.training.models import TrainingRecord

        record = db_session().scalar(select(TrainingRecord.id))
        unit = client.get("/api/units").get_json()[0]["id"]
        from kmrepo.plans.models import KmPlan, PlanActivity

        plan = db_session().scalar(select(KmPlan.id))
        activity = db_session().scalar(select(PlanActivity.id).where(PlanActivity.plan_id == plan))
    return {"slug": entry, "item_id": item, "name": tag, "record_id": record, "unit_id": unit, "plan_id": plan,
            "activity_id": activity}


def test_every_html_page_has_its_json_twin(site):
    """Walk the URL map: each GET page that shows data has a twin at /api/… built from
    the same service call, and, for the same reader, both answer alike."""
    args = _sample_args(site)
    client = site.test_client()
    AuthActions(client).login("cko")  # sees the most pages that show data
    pages = [r for r in site.url_map.iter_rules()
             if "GET" in r.methods and not r.rule.startswith("/api/") and r.endpoint not in NOT_DATA_PAGES]
    endpoints = {r.endpoint: r for r in site.url_map.iter_rules()}
    assert len(pages) >= 12
    missing = []
    for rule in pages:
        blueprint, _, name = rule.endpoint.rpartition(".")
        twin = endpoints.get(f"{blueprint}.api_{name}")
        if twin is None:
            missing.append(rule.rule)
            continue
        values = {k: args[k] for k in rule.arguments}
        page = client.get(rule.build(values)[1])
        data = client.get(twin.build(values)[1])
        assert data.is_json, twin.rule
        admin_only = {"accounts.users", "training.chains", "training.office_holidays"}
        expected = 403 if rule.endpoint in admin_only else 200  # the CKO manages no accounts
        assert (page.status_code, data.status_code) == (expected, expected), rule.rule
    assert not missing, f"pages without a JSON twin: {missing}"


def test_one_clock_moves_every_date_the_product_records(app, client, clock, auth, load, write_entry):
    """Access rows, their fiscal year and the audit log all read kmrepo.clock: moved to
    the last minute of fiscal year 2569 (30 September 2026, Thai time), then past the
    30 minutes within which a reader's views count once."""
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    clock.set_now(datetime(2026, 9, 30, 23, 59, tzinfo=THAI_TZ))
    client.get("/entries/a")
    clock.advance(timedelta(minutes=31))
    client.get("/entries/a")
    auth.login("reader")
    with app.app_context():
        rows = db_session().scalars(select(AccessLog).order_by(AccessLog.id)).all()
        assert [r.fiscal_year for r in rows] == [2569, 2570]
        login = db_session().scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        assert login.at.replace(tzinfo=None) == datetime(2026, 9, 30, 17, 30)  # UTC
    assert client.get("/api/entries/a").get_json()["accesses"] == {"total": 3, "this_fiscal_year": 2}


@pytest.mark.parametrize("area", ["accounts", "library", "plans"])
def test_each_area_has_the_same_shape(area):
    """A newcomer who has read one area can read them all: policy, service and views
    in each; models where the area has tables."""
    folder = REPO / "kmrepo" / area
    assert {"policy.py", "service.py", "views.py"} <= {p.name for p in folder.glob("*.py")}


def test_a_start_knows_the_newest_migration_without_alembic(app):
    """A start on an up-to-date database skips Alembic (its import is a third of a
    ``kmrepo`` command's start): it reads the newest revision from the migrations' file
    names, which must therefore be the revisions Alembic knows, with the last the head."""
    from alembic.script import ScriptDirectory

    from kmrepo import db

    scripts = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(script.revision + "_")
    assert db.head_revision() == scripts.get_current_head()
    with app.app_context():
        assert db.current_revision(db.engine()) == db.head_revision()
