"""What an outside tester found, fixed and kept fixed: hostile paths and parameters,
guessable passwords, the last administrator, reserved addresses, private files,
macros and zip bombs, tags that told about hidden entries."""

from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest
from flask import request
from sqlalchemy import select

from kmrepo.accounts.models import User
from kmrepo.db import session as db_session

from .helpers import AuthActions


def test_hostile_paths_and_parameters_get_4xx_with_a_thai_page(client, auth):
    auth.login("admin")
    for url in ("/items/99999999999999999999999", "/files/99999999999999999999999/x.pdf",
                "/admin/users/99999999999999999999", "/admin/users/๑"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert "ไม่พบหน้าที่ต้องการ" in resp.get_data(as_text=True), url
    auth.logout()
    auth.login("km_team")
    for year in ("0", "543", "9" * 40, "abc", "25๗๐x"):
        resp = client.get("/stats", query_string={"year": year})
        assert resp.status_code == 400, year
        assert "ปีงบประมาณต้องเป็นปี พ.ศ." in resp.get_data(as_text=True), year
        assert client.get("/api/stats", query_string={"year": year}).get_json()["status"] == 400
    assert client.get("/api/stats", query_string={"year": "๒๕๗๐"}).get_json()["fiscal_year"] == 2570


def test_sign_in_never_redirects_to_a_header_split(app, users):
    client = app.test_client()
    actions = AuthActions(client)
    token_page = client.get("/account/login")
    assert token_page.status_code == 200
    from .helpers import csrf_token

    resp = client.post("/account/login", data={"username": "reader", "password": "correct horse battery",
                                               "next": "/x\r\nSet-Cookie: a=b", "csrf_token": csrf_token(client,
                                                                                                     "/account/login")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert actions  # the same client is now signed in
    assert client.get("/api/me").get_json()["signed_in"] is True


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "1234567890", "password12", "qwertyuiop", "abcdefghij"])
def test_common_and_patterned_passwords_are_refused(client, auth, password):
    auth.login("admin")
    resp = auth.post("/admin/users/new", {"username": "newbie", "full_name": "ใหม่", "password": password})
    assert resp.status_code == 400 and "คาดเดาได้ง่าย" in resp.get_data(as_text=True)
    assert all(u["username"] != "newbie" for u in client.get("/api/users").get_json()["users"])


def test_a_long_passphrase_is_accepted(client, auth):
    auth.login("admin")
    resp = auth.post("/admin/users/new", {"username": "newbie", "full_name": "ใหม่", "password": "ต้นมะขาม river 42"})
    assert resp.status_code == 302


def test_the_only_admin_cannot_remove_its_own_admin_role_or_be_deactivated(app, client, auth):
    auth.login("admin")
    with app.app_context():
        admin_id = db_session().scalar(select(User.id).where(User.username == "admin"))
    resp = auth.post(f"/admin/users/{admin_id}", {"username": "admin", "full_name": "ทดสอบ admin", "roles": []})
    assert resp.status_code == 400 and "ผู้ดูแลระบบคนเดียว" in resp.get_data(as_text=True)
    assert "admin" in next(u for u in client.get("/api/users").get_json()["users"]
                           if u["username"] == "admin")["roles"]
    # with a second administrator, the first may step down
    with app.app_context():
        km = db_session().scalar(select(User).where(User.username == "km_team"))
        km.roles = {"km_team", "admin"}
        db_session().commit()
    resp = auth.post(f"/admin/users/{admin_id}", {"username": "admin", "full_name": "ทดสอบ admin", "roles": []})
    assert resp.status_code == 302


def test_reserved_slugs_never_shadow_the_sites_own_pages(client, auth, load, write_entry):
    auth.login("km_team")
    resp = auth.post("/entries/new", {"title": "new", "type": "manual", "body": "เนื้อหา", "visibility": "internal",
                                      "department": "0"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/entries/new-2")
    assert client.get("/entries/new").status_code == 200  # still the editor
    write_entry("new", "จากไฟล์")
    report = load(write_entry.folder)
    assert report.errors and "reserved" in report.errors[0][1]


def test_the_instance_folder_is_private(app):
    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(app.instance_path) == 0o700
    if app.config["DATABASE_URL"].startswith("sqlite:"):  # PostgreSQL keeps its files (and the index) itself
        assert mode(os.path.join(app.instance_path, "kmrepo.sqlite3")) == 0o600
        assert mode(app.config["INDEX_DIR"]) == 0o700
        assert mode(os.path.join(app.config["INDEX_DIR"], "fts5.sqlite3")) == 0o600
    assert mode(os.path.join(app.instance_path, "secret_key")) == 0o600


def test_signed_in_pages_are_not_cached_and_a_proxy_is_trusted_only_when_configured(tmp_path, client, auth):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    auth.login("reader")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    from kmrepo import create_app

    for proxies, secure in ((0, False), (1, True)):
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / f"proxy{proxies}"),
                          "TRUSTED_PROXIES": proxies})
        app.add_url_rule("/_scheme", "scheme", lambda: "https" if request.is_secure else "http")
        assert app.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https"}).text == (
            "https" if secure else "http"), proxies


def _docx(extra: dict[str, bytes] | None = None, big: int = 0) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", "<w:document>" + "ก" * 10 + "</w:document>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        if big:
            z.writestr("word/media/zeros.bin", b"\0" * big)
    return buf.getvalue()


def test_macros_and_zip_bombs_are_refused_and_write_nothing(app, client, auth, load, write_entry):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    auth.login("km_team")

    def upload(name, data):
        return auth.post("/entries/a/files", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    assert upload("ok.docx", _docx()).status_code == 302  # a plain document is fine
    macro = upload("report.docx", _docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}))
    assert macro.status_code == 400 and "แมโคร" in macro.get_data(as_text=True)
    bomb = upload("bomb.docx", _docx(big=150 * 1024 * 1024))
    assert bomb.status_code == 400 and "zip bomb" in bomb.get_data(as_text=True)
    names = [f["filename"] for f in client.get("/api/entries/a").get_json()["attachments"]]
    assert names == ["ok.docx"]
    assert len(os.listdir(os.path.join(app.instance_path, "uploads"))) == 1


def test_a_tag_carried_only_by_hidden_entries_is_answered_like_an_unknown_tag(client, auth, load, write_entry):
    write_entry("secret", "ภายใน", visibility="internal", tags=["ลับเฉพาะ"])
    write_entry("open", "เปิดเผย", tags=["ทั่วไป"])
    load(write_entry.folder)
    unknown = client.get("/api/tags/ไม่มีแท็กนี้")
    hidden = client.get("/api/tags/ลับเฉพาะ")
    assert (hidden.status_code, hidden.get_json()) == (unknown.status_code, unknown.get_json()) == (
        404, {"error": "ไม่พบหน้าที่ต้องการ", "status": 404})
    assert client.get("/tags/ลับเฉพาะ").status_code == 404
    auth.login("reader")
    assert [e["slug"] for e in client.get("/api/tags/ลับเฉพาะ").get_json()["entries"]] == ["secret"]


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_is_worthless_after_signing_out(app, client, auth):
    auth.login("reader")
    stolen = _session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/api/me").get_json()["signed_in"] is True  # a live session, copied
    auth.logout()
    assert thief.get("/api/me").get_json()["signed_in"] is False  # ended on the server
    assert thief.get("/workspace").status_code == 302


def test_a_session_ends_after_twelve_hours_however_active(client, auth, clock):
    from datetime import timedelta

    clock.set_now(clock.now())
    auth.login("reader")
    for _hour in range(11):
        clock.advance(timedelta(hours=1))
        assert client.get("/api/me").get_json()["signed_in"] is True
    clock.advance(timedelta(hours=1, minutes=1))
    assert client.get("/api/me").get_json()["signed_in"] is False


def test_a_session_ends_after_idling_past_its_lifetime(app, client, auth, clock):
    clock.set_now(clock.now())
    auth.login("reader")
    clock.advance(app.permanent_session_lifetime)
    assert client.get("/api/me").get_json()["signed_in"] is False


def test_forms_speak_thai_and_keep_no_control_characters(app, client, auth):
    auth.login("contributor")
    resp = auth.post("/entries/new", {"title": "คู่มือ\x00ทดสอบ\x07", "type": "no-such-type", "body": "เนื้อหา",
                                      "department": "0", "visibility": "public"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "ตัวเลือกไม่ถูกต้อง" in page and "Not a valid choice" not in page
    resp = auth.post("/entries/new", {"title": "คู่มือ\x00ทดสอบ\x07", "type": "manual", "body": "บรรทัด\x00หนึ่ง\nสอง",
                                      "department": "0", "visibility": "public"})
    assert resp.status_code == 302
    from urllib.parse import unquote

    entry = client.get("/api/entries/" + unquote(resp.headers["Location"].rsplit("/", 1)[-1])).get_json()
    assert entry["title"] == "คู่มือ ทดสอบ" and entry["body"] == "บรรทัด หนึ่ง\nสอง\n"
