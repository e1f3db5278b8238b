"""Writing entries on the web and moving them through the lifecycle, with the audit log."""

from __future__ import annotations

from urllib.parse import unquote

from .helpers import AuthActions, search

FORM = {"title": "คู่มือการเบิกค่าเช่าบ้าน", "type": "manual", "summary": "ขั้นตอนการเบิก",
        "body": "# ขั้นตอน\n\nยื่นแบบ ๖๐๐๕ ภายใน ๑๕ วัน", "tags": "การเงิน, ค่าเช่าบ้าน , การเงิน",
        "department": "0", "fiscal_year": "๒๕๖๘", "visibility": "public"}


def test_an_entry_from_draft_to_published_to_retired(app, client, auth):
    auth.login("contributor")
    resp = auth.post("/entries/new", FORM)
    assert resp.status_code == 302
    slug = unquote(resp.headers["Location"].rsplit("/", 1)[1])
    entry = client.get(f"/api/entries/{slug}").get_json()
    assert entry["status"] == "draft" and entry["fiscal_year"] == 2568
    assert entry["tags"] == ["การเงิน", "ค่าเช่าบ้าน"] and entry["can_edit"] and entry["actions"] == ["submit"]
    assert entry["accesses"]["total"] == 0  # drafts are not counted as accesses
    assert search(client, "ค่าเช่าบ้าน")["total"] == 0  # drafts are not found
    assert auth.post(f"/entries/{slug}/edit", {**FORM, "title": "คู่มือการเบิกค่าเช่าบ้าน (ปรับปรุง)"}).status_code == 302
    assert auth.post(f"/entries/{slug}/status", {"action": "submit"}).status_code == 302
    assert client.get(f"/entries/{slug}/edit").status_code == 403  # in review: no longer the author's to edit
    assert auth.post(f"/entries/{slug}/status", {"action": "approve"}).status_code == 403
    auth.logout()

    km = AuthActions(client)
    km.login("km_team")
    queue = client.get("/api/workspace").get_json()["queue"]
    assert [e["slug"] for e in queue] == [slug]
    assert km.post(f"/entries/{slug}/status", {"action": "approve"}).status_code == 302
    assert km.post(f"/entries/{slug}/status", {"action": "publish"}).status_code == 302
    km.logout()

    hits = search(client, "ค่าเช่าบ้าน")["results"]
    assert [h["slug"] for h in hits] == [slug] and hits[0]["title"].endswith("(ปรับปรุง)")
    assert client.get(f"/entries/{slug}").status_code == 200

    km.login("cko")
    assert km.post(f"/entries/{slug}/status", {"action": "retire"}).status_code == 302
    events = client.get("/api/audit").get_json()["events"]
    trail = [(e["action"], e["username"]) for e in reversed(events) if e["target_id"] == slug]
    assert trail == [("entry_created", "contributor"), ("entry_edited", "contributor"),
                     ("entry_submitted", "contributor"), ("entry_approved", "km_team"),
                     ("entry_published", "km_team"), ("entry_retired", "cko")]
    km.logout()
    assert search(client, "ค่าเช่าบ้าน")["total"] == 0
    assert client.get(f"/entries/{slug}").status_code == 404


def test_entry_form_errors_are_shown_in_thai_and_nothing_is_saved(client, auth):
    auth.login("contributor")
    resp = auth.post("/entries/new", {**FORM, "title": "", "fiscal_year": "1999"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "กรุณากรอกข้อมูลช่องนี้" in html and "ปีงบประมาณต้องเป็นปี พ.ศ." in html
    assert client.get("/api/workspace").get_json()["mine"] == []


def test_a_new_manual_starts_from_the_dla_outline(client, auth):
    auth.login("contributor")
    page = client.get("/entries/new?type=manual").get_data(as_text=True)
    for heading in ("## ที่มา", "## หลักการและเหตุผล", "## วัตถุประสงค์", "## ผังกระบวนการงาน (Work Flow)",
                    "## หลักเกณฑ์และขั้นตอนการปฏิบัติงาน"):
        assert heading in page, heading
    assert '<option selected value="manual">' in page or 'value="manual" selected' in page


def test_a_draft_can_be_deleted_and_a_file_removed_but_published_knowledge_is_only_retired(app, client, auth,
                                                                                            load, write_entry):
    import io
    import os

    write_entry("pub", "เผยแพร่แล้ว")
    load(write_entry.folder)
    auth.login("km_team")
    resp = auth.post("/entries/new", {"title": "ร่างที่จะลบ", "type": "manual", "body": "ร่าง", "visibility": "internal",
                                      "department": "0"})
    slug = unquote(resp.headers["Location"].rsplit("/", 1)[-1])
    auth.post(f"/entries/{slug}/files", {"file": (io.BytesIO("แนบ".encode()), "แนบ.txt")},
              content_type="multipart/form-data")
    auth.post("/entries/pub/files", {"file": (io.BytesIO("ไฟล์".encode()), "ไฟล์.txt")}, content_type="multipart/form-data")
    uploads = os.path.join(app.instance_path, "uploads")
    assert len(os.listdir(uploads)) == 2
    assert auth.post("/entries/pub/delete").status_code == 403  # published: retire it instead
    assert auth.post(f"/entries/{slug}/delete").status_code == 303
    assert client.get(f"/api/entries/{slug}").status_code == 404 and len(os.listdir(uploads)) == 1
    file_id = client.get("/api/entries/pub").get_json()["attachments"][0]["id"]
    assert auth.post(f"/entries/pub/files/{file_id}/remove").status_code == 303
    assert client.get("/api/entries/pub").get_json()["attachments"] == [] and os.listdir(uploads) == []
    auth.logout()
    auth.login("reader")
    assert auth.post(f"/entries/pub/files/{file_id}/remove").status_code in (403, 404)
    actions = set()
    auth.logout()
    auth.login("admin")
    actions = {e["action"] for e in client.get("/api/audit").get_json()["events"]}
    assert {"entry_deleted", "file_removed"} <= actions


def test_the_live_preview_is_the_published_rendering_and_only_for_writers(client, auth):
    from .helpers import csrf_token

    body = "## ขั้นตอน\n\n**ยื่นแบบ** ภายใน ๑๕ วัน <script>alert(1)</script> [x](javascript:alert(1))"
    anonymous = {"X-CSRFToken": csrf_token(client)}
    assert client.post("/api/entries/preview", json={"body": body}, headers=anonymous).status_code == 401
    auth.login("reader")
    token = csrf_token(client)
    assert client.post("/api/entries/preview", json={"body": body}, headers={"X-CSRFToken": token}).status_code == 403
    auth.logout()
    auth.login("contributor")
    token = csrf_token(client)
    # without the page's token the preview is refused, as every other write is
    assert client.post("/api/entries/preview", json={"body": body}).status_code == 400
    preview = client.post("/api/entries/preview", json={"body": body}, headers={"X-CSRFToken": token}).get_json()
    assert "<h2 id=\"ขั้นตอน\">ขั้นตอน <a class=\"anchor\"" in preview["html"] and "<strong>ยื่นแบบ</strong>" in preview["html"]
    assert "<script>" not in preview["html"] and "javascript:" not in preview["html"]
    assert preview["problem"] is None
    # the same sanitised HTML the published page shows
    auth.post("/entries/new", {**FORM, "body": body, "title": "ตัวอย่างการแสดงผล"})
    slug = next(e["slug"] for e in client.get("/api/workspace").get_json()["mine"] if e["title"] == "ตัวอย่างการแสดงผล")
    assert client.get(f"/api/entries/{slug}").get_json()["html"] == preview["html"]
    # markup the site will not save is named, in Thai, before saving
    deep = client.post("/api/entries/preview", json={"body": "<div>" * 500 + "ลึกมาก"}, headers={"X-CSRFToken": token})
    assert "ลึกเกิน" in deep.get_json()["problem"]
    too_long = client.post("/api/entries/preview", json={"body": "ก" * 500_001}, headers={"X-CSRFToken": token})
    assert too_long.status_code == 400 and "error" in too_long.get_json()
    assert client.post("/api/entries/preview", json={"body": 5}, headers={"X-CSRFToken": token}).status_code == 400
    # the editor carries the pane and its script
    page = client.get("/entries/new").get_data(as_text=True)
    assert "data-preview-url=\"/api/entries/preview\"" in page and "preview.js" in page


def test_an_entry_saved_without_a_fiscal_year_has_none(client, auth):
    """An empty year is no year (it reached the database as "" before, which PostgreSQL refused)."""
    auth.login("contributor")
    resp = auth.post("/entries/new", {**FORM, "fiscal_year": " "})
    slug = unquote(resp.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/api/entries/{slug}").get_json()["fiscal_year"] is None
