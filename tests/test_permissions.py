"""The permission matrix: every role × every protected page and API call.

Each role gets a fresh site with the same content: a public and an internal published
entry, a contributor's draft, an entry to retire, an attachment on the internal entry.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from kmrepo.accounts.models import User
from kmrepo.db import session as db_session
from kmrepo.library import service as editing
from kmrepo.library.models import Entry

ROLES = ["anonymous", "reader", "contributor", "supervisor", "km_team", "cko", "admin"]
EVERYONE = set(ROLES)
STAFF = EVERYONE - {"anonymous"}

# (method, url, form data, roles allowed). Requests that change something come last and
# each works on its own target, so the order of checks does not change the answers.
MATRIX = [
    ("GET", "/", None, EVERYONE),
    ("GET", "/search?q=คู่มือ", None, EVERYONE),
    ("GET", "/api/search?q=คู่มือ", None, EVERYONE),
    ("GET", "/entries/", None, EVERYONE),
    ("GET", "/entries/pub", None, EVERYONE),
    ("GET", "/api/entries/pub", None, EVERYONE),
    ("GET", "/api/me", None, EVERYONE),
    ("GET", "/entries/int", None, STAFF),
    ("GET", "/api/entries/int", None, STAFF),
    ("GET", "{file_url}", None, STAFF),
    ("GET", "/entries/draft", None, {"contributor", "km_team", "cko"}),
    ("GET", "/api/entries/draft", None, {"contributor", "km_team", "cko"}),
    ("GET", "/workspace", None, STAFF),
    ("GET", "/api/workspace", None, STAFF),
    ("GET", "/account/password", None, STAFF),
    ("GET", "/entries/new", None, {"contributor", "km_team"}),
    ("GET", "/entries/draft/edit", None, {"contributor", "km_team"}),
    ("GET", "/entries/pub/edit", None, {"km_team"}),
    ("GET", "/stats", None, {"km_team", "cko"}),
    ("GET", "/api/stats", None, {"km_team", "cko"}),
    ("GET", "/admin/audit", None, {"admin", "cko"}),
    ("GET", "/api/audit", None, {"admin", "cko"}),
    ("GET", "/admin/users", None, {"admin"}),
    ("GET", "/api/users", None, {"admin"}),
    ("GET", "/admin/users/new", None, {"admin"}),
    ("GET", "/admin/users/{supervisor_id}", None, {"admin"}),
    ("GET", "/admin/access-logs", None, {"admin"}),
    ("POST", "/entries/new", {"title": "ใหม่", "type": "manual", "body": "เนื้อหา", "visibility": "internal",
                              "department": "0"}, {"contributor", "km_team"}),
    ("POST", "/entries/draft/edit", {"title": "ร่างแก้", "type": "manual", "body": "แก้", "visibility": "internal",
                                     "department": "0"}, {"contributor", "km_team"}),
    ("POST", "/entries/pub/files", "upload", {"km_team"}),
    ("POST", "/entries/draft/status", {"action": "submit"}, {"contributor", "km_team"}),
    ("POST", "/entries/old/status", {"action": "retire"}, {"km_team", "cko"}),
    ("POST", "/admin/users/new", {"username": "newbie", "full_name": "ใหม่", "password": "a-long-password-1"},
     {"admin"}),
    ("POST", "/admin/users/{supervisor_id}/reset", {}, {"admin"}),
    ("POST", "/admin/access-logs", {"days": "365"}, {"admin"}),
    ("POST", "/admin/users/{reader_id}/active", {"active": "0"}, {"admin"}),
]


@pytest.fixture
def site(app, users, load, write_entry):
    write_entry("pub", "คู่มือการลาป่วย", type="manual")
    write_entry("int", "คู่มือภายใน", visibility="internal")
    write_entry("old", "ระเบียบเก่า")
    load(write_entry.folder)
    with app.app_context():
        s = db_session()
        contributor = s.scalar(select(User).where(User.username == "contributor"))
        km = s.scalar(select(User).where(User.username == "km_team"))
        draft = editing.save_entry(s, None, editing.EntryFields(
            title="ร่าง", type="manual", summary="", body="ร่างเนื้อหา", tags=[], knowledge_items=[],
            department_id=0, fiscal_year=None, visibility="internal"), contributor)
        draft.slug = "draft"
        s.commit()
        internal = s.scalar(select(Entry).where(Entry.slug == "int"))
        att = editing.attach_file(s, internal, "สรุป.txt", "สรุปผล".encode(), km,
                                  app.instance_path + "/uploads", 1024 * 1024)
        ids = {u.username + "_id": u.id for u in s.scalars(select(User))}
        return {"file_url": f"/files/{att.id}/สรุป.txt", **ids}


def _refused(resp) -> bool:
    if resp.status_code in (401, 403, 404):
        return True
    return resp.status_code == 302 and "/account/login" in resp.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, client, auth, site):
    if role != "anonymous":
        assert auth.login(role).status_code == 302
    for method, url, data, allowed in MATRIX:
        url = url.format(**site)
        if method == "GET":
            resp = client.get(url)
        else:
            if data == "upload":
                resp = auth.post(url, {"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")},
                                 content_type="multipart/form-data")
            else:
                resp = auth.post(url, data)
        expected = role in allowed
        if expected:
            assert resp.status_code in (200, 302, 303) and not _refused(resp), (role, method, url, resp.status_code)
        else:
            assert _refused(resp), (role, method, url, resp.status_code)
