"""The KM team renames and merges tags; no entry loses a tag on the way."""

from __future__ import annotations

from sqlalchemy import select

from kmrepo.accounts.models import AuditEvent
from kmrepo.db import session as db_session

from .helpers import search


def _tags(client, slug):
    return sorted(client.get(f"/api/entries/{slug}").get_json()["tags"])


def test_merging_duplicate_tags_keeps_every_entrys_tags(app, client, auth, load, write_entry):
    write_entry("qa-one", "ถามเรื่องภาษีป้าย", title="ถามตอบหนึ่ง", tags=["ถามตอบ", "ภาษี"])
    write_entry("qa-two", "ถามเรื่องค่าเช่าบ้าน", title="ถามตอบสอง", tags=["ถาม-ตอบ"])
    write_entry("qa-both", "ถามเรื่องการอบรม", title="ถามตอบสาม", tags=["ถาม-ตอบ", "ถามตอบ"])
    write_entry("law", "พระราชบัญญัติ", title="กฎหมาย", tags=["พรบ"])
    load(write_entry.folder)
    before = client.get("/api/entries/qa-one").get_json()["updated_at"]

    auth.login("contributor")
    assert auth.post("/tags/rename", {"name": "ถามตอบ", "new_name": "ถาม-ตอบ"}).status_code == 403
    auth.logout()

    auth.login("km_team")
    assert "เปลี่ยนชื่อหรือรวมแท็ก" in client.get("/tags/").get_data(as_text=True)
    resp = auth.post("/tags/rename", {"name": "ถามตอบ", "new_name": "ถาม-ตอบ"}, follow_redirects=True)
    assert "รวมเข้ากับแท็ก “ถาม-ตอบ” แล้ว (3 เอกสาร)" in resp.get_data(as_text=True)
    assert _tags(client, "qa-one") == ["ถาม-ตอบ", "ภาษี"]
    assert _tags(client, "qa-two") == ["ถาม-ตอบ"]
    assert _tags(client, "qa-both") == ["ถาม-ตอบ"]  # once, not twice
    names = {t["name"]: t["entries"] for t in client.get("/api/tags").get_json()}
    assert names["ถาม-ตอบ"] == 3 and "ถามตอบ" not in names
    assert client.get("/api/tags/ถามตอบ").status_code == 404
    assert client.get("/api/entries/qa-one").get_json()["updated_at"] == before  # not a content change

    resp = auth.post("/tags/rename", {"name": "พรบ", "new_name": "พ.ร.บ."}, follow_redirects=True)
    assert "เปลี่ยนชื่อเป็น “พ.ร.บ.” แล้ว (1 เอกสาร)" in resp.get_data(as_text=True)
    assert _tags(client, "law") == ["พ.ร.บ."]
    # the index follows: a word only the new tag name holds finds its entries at once
    assert search(client, "เทศบัญญัติ")["total"] == 0
    auth.post("/tags/rename", {"name": "ภาษี", "new_name": "เทศบัญญัติ"})
    assert [r["slug"] for r in search(client, "เทศบัญญัติ")["results"]] == ["qa-one"]

    too_long = auth.post("/tags/rename", {"name": "พ.ร.บ.", "new_name": "ก" * 101}, follow_redirects=True)
    assert "ชื่อแท็กยาวได้ไม่เกิน ๑๐๐ ตัวอักษร" in too_long.get_data(as_text=True) and _tags(client, "law") == ["พ.ร.บ."]
    auth.post("/tags/rename", {"name": "พ.ร.บ.", "new_name": "พ.ร.บ.\x00ท้องถิ่น"})  # a NUL byte is a space
    assert _tags(client, "law") == ["พ.ร.บ. ท้องถิ่น"]
    bad = auth.post("/tags/rename", {"name": "ไม่มีแท็กนี้", "new_name": "x"}, follow_redirects=True)
    assert "ไม่พบแท็กนี้" in bad.get_data(as_text=True)
    bad = auth.post("/tags/rename", {"name": "เทศบัญญัติ", "new_name": "ก, ข"}, follow_redirects=True)
    assert "ต้องเป็นแท็กเดียว" in bad.get_data(as_text=True) and _tags(client, "qa-one") == ["ถาม-ตอบ", "เทศบัญญัติ"]
    auth.logout()
    auth.login("admin")
    text = str(client.get("/api/audit").get_json())
    assert "ถามตอบ → ถาม-ตอบ" in text and "พรบ → พ.ร.บ." in text


def test_the_km_team_creates_and_renames_knowledge_items_and_search_follows(client, auth, load, write_entry):
    write_entry("sign", "ยื่นแบบภายในมีนาคม", title="คู่มือภาษีป้าย", department="กองคลัง")
    load(write_entry.folder)
    auth.login("contributor")
    assert client.get("/items/new").status_code == 403
    auth.logout()
    auth.login("km_team")
    units = {u["name"]: u["id"] for u in client.get("/api/units").get_json()}
    resp = auth.post("/items/new", {"name": "การจัดเก็บภาษีป้าย", "kind": "explicit", "owner": str(units["กองคลัง"]),
                                    "strategic_issue": "การพัฒนาระบบบริหารจัดการ", "description": "ขั้นตอนการจัดเก็บ"})
    assert resp.status_code == 303
    item_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    item = client.get(f"/api/items/{item_id}").get_json()
    assert (item["name"], item["owner"], item["strategic_issue"]) == ("การจัดเก็บภาษีป้าย", "กองคลัง",
                                                                      "การพัฒนาระบบบริหารจัดการ")
    clash = auth.post("/items/new", {"name": "การจัดเก็บภาษีป้าย", "kind": "explicit", "owner": "0"})
    assert clash.status_code == 400 and "มีองค์ความรู้ชื่อนี้อยู่แล้ว" in clash.get_data(as_text=True)
    # tag the entry to it, then rename: search finds the entry by the item's new name
    entry = client.get("/api/entries/sign").get_json()
    auth.post("/entries/sign/edit", {"title": entry["title"], "type": entry["type"], "body": entry["body"],
                                     "department": "0", "visibility": "public", "knowledge_items": str(item_id)})
    assert search(client, "ป้ายโฆษณาริมทาง")["total"] == 0
    auth.post(f"/items/{item_id}/edit", {"name": "ป้ายโฆษณาริมทาง", "kind": "tacit", "owner": "0"})
    assert client.get(f"/api/items/{item_id}").get_json()["kind"] == "tacit"
    assert [r["slug"] for r in search(client, "ป้ายโฆษณาริมทาง")["results"]] == ["sign"]
    assert client.get("/items/99999/edit").status_code == 404


def test_a_retired_knowledge_item_keeps_its_entries_but_is_offered_for_no_new_one(app, client, auth, load,
                                                                                   write_entry):
    write_entry("old-way", "วิธีเดิม", title="การจัดเก็บแบบเดิม", knowledge_items=["การจัดเก็บด้วยมือ"])
    load(write_entry.folder)
    item_id = next(k["id"] for k in client.get("/api/items").get_json() if k["name"] == "การจัดเก็บด้วยมือ")
    auth.login("km_team")
    assert auth.post(f"/items/{item_id}/edit", {"name": "การจัดเก็บด้วยมือ", "kind": "explicit", "owner": "0",
                                                "retired": "y"}).status_code == 303
    item = client.get(f"/api/items/{item_id}").get_json()
    assert item["retired"] and [e["slug"] for e in item["entries"]] == ["old-way"]
    assert "เลิกใช้แล้ว" in client.get(f"/items/{item_id}").get_data(as_text=True)
    new_form = client.get("/entries/new").get_data(as_text=True)
    assert "การจัดเก็บด้วยมือ" not in new_form  # not offered to a new entry
    assert "การจัดเก็บด้วยมือ" in client.get("/entries/old-way/edit").get_data(as_text=True)  # kept on its own
    with app.app_context():
        assert db_session().scalar(select(AuditEvent).where(AuditEvent.action == "item_retired")) is not None
    # brought back into use
    auth.post(f"/items/{item_id}/edit", {"name": "การจัดเก็บด้วยมือ", "kind": "explicit", "owner": "0"})
    assert not client.get(f"/api/items/{item_id}").get_json()["retired"]
    assert "การจัดเก็บด้วยมือ" in client.get("/entries/new").get_data(as_text=True)
