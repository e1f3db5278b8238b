"""The KM corner: curated per unit and for the organisation, ordered, on the home page
and each unit's page; the share of units with a corner for the KPI."""

from __future__ import annotations

from .helpers import search


def test_the_km_team_curates_corners_that_readers_see_in_order(app, client, auth, load, write_entry):
    write_entry("bp-waste", "คัดแยกขยะ", title="ธนาคารขยะชุมชน", department="กองสาธารณสุข")
    write_entry("manual-tax", "ภาษีป้าย", title="คู่มือภาษีป้าย", department="กองคลัง", type="manual")
    write_entry("qa-leave", "การลา", title="ถามตอบการลา", department="สำนักปลัด")
    write_entry("secret", "ภายใน", title="เอกสารภายใน", department="กองคลัง", visibility="internal")
    load(write_entry.folder)
    units = {u["name"]: u["id"] for u in client.get("/api/units").get_json()}

    auth.login("contributor")
    assert auth.post("/corner/add", {"slug": "bp-waste", "unit": "0"}).status_code == 403
    auth.logout()

    auth.login("km_team")
    for slug, unit, note in (("bp-waste", 0, "ตัวอย่างที่ชุมชนทำได้จริง"), ("manual-tax", 0, ""),
                             ("qa-leave", 0, ""), ("manual-tax", units["กองคลัง"], "เริ่มที่นี่"),
                             ("secret", units["กองคลัง"], "")):
        assert auth.post("/corner/add", {"slug": slug, "unit": str(unit), "note": note}).status_code == 303
    auth.post("/entries/new", {"title": "ร่างยังไม่เผยแพร่", "type": "manual", "body": "ร่าง", "department": "0",
                               "visibility": "public"})
    draft = client.get("/api/workspace").get_json()["mine"][0]["slug"]
    # a unit past any database id, or a note too long: a Thai message, nothing added
    huge = auth.post("/corner/add", {"slug": "bp-waste", "unit": str(2**64)}, follow_redirects=True)
    assert huge.status_code == 200 and "ไม่พบหน่วยงานนี้" in huge.get_data(as_text=True)
    long_note = auth.post("/corner/add", {"slug": "bp-waste", "unit": "0", "note": "ก" * 501}, follow_redirects=True)
    assert "คำแนะนำยาวได้ไม่เกิน ๕๐๐ ตัวอักษร" in long_note.get_data(as_text=True)
    refused = auth.post("/corner/add", {"slug": draft, "unit": "0"}, follow_redirects=True)
    assert "เฉพาะเอกสารที่เผยแพร่แล้ว" in refused.get_data(as_text=True)
    # the same entry again keeps its place and takes the new note
    auth.post("/corner/add", {"slug": "bp-waste", "unit": "0", "note": "ต้นแบบของจังหวัด"})
    corners = client.get("/api/corner").get_json()["corners"]
    org = corners[0]
    assert org["unit"] is None
    assert [e["slug"] for e in org["entries"]] == ["bp-waste", "manual-tax", "qa-leave"]
    assert org["entries"][0]["note"] == "ต้นแบบของจังหวัด"
    # move the last up twice: first; move the first up: nothing changes
    last = org["entries"][2]["id"]
    for _ in range(2):
        auth.post(f"/corner/{last}/move", {"direction": "up"})
    auth.post(f"/corner/{last}/move", {"direction": "up"})
    order = [e["slug"] for e in client.get("/api/corner").get_json()["corners"][0]["entries"]]
    assert order == ["qa-leave", "bp-waste", "manual-tax"]
    # curated entries are featured (a small search boost) until they are in no corner
    featured = {e["slug"] for e in client.get("/api/home").get_json()["featured"]}
    assert featured >= {"qa-leave", "bp-waste", "manual-tax"}
    remove_id = client.get("/api/corner").get_json()["corners"][0]["entries"][2]["id"]
    assert auth.post(f"/corner/{remove_id}/remove").status_code == 303
    assert "manual-tax" in {e["slug"] for e in client.get("/api/home").get_json()["featured"]}  # still in กองคลัง's
    bp_id = client.get("/api/corner").get_json()["corners"][0]["entries"][1]["id"]
    auth.post(f"/corner/{bp_id}/remove")
    assert "bp-waste" not in {e["slug"] for e in client.get("/api/home").get_json()["featured"]}
    auth.post("/corner/add", {"slug": "bp-waste", "unit": "0", "note": "ต้นแบบของจังหวัด"})
    auth.logout()

    # anyone reads the corners; an internal entry is not shown to a visitor
    corners = client.get("/api/corner").get_json()["corners"]
    assert [e["slug"] for e in corners[0]["entries"]] == ["qa-leave", "bp-waste"]
    by_unit = {c["unit"]: [e["slug"] for e in c["entries"]] for c in corners}
    assert by_unit["กองคลัง"] == ["manual-tax"]
    home = client.get("/").get_data(as_text=True)
    assert "มุม KM" in home and "ต้นแบบของจังหวัด" in home and home.index("ถามตอบการลา") < home.index("ธนาคารขยะชุมชน")
    unit = client.get(f"/api/units/{units['กองคลัง']}").get_json()
    assert [e["slug"] for e in unit["corner"]] == ["manual-tax"]
    assert [e["slug"] for e in unit["manuals"]] == ["manual-tax"]
    page = client.get(f"/units/{units['กองคลัง']}").get_data(as_text=True)
    assert "เริ่มที่นี่" in page and "คู่มือภาษีป้าย" in page
    assert client.get("/api/units/99999").status_code == 404

    # retiring an entry takes it out of every corner it was in (readers see only published knowledge)
    auth.login("km_team")
    auth.post("/entries/manual-tax/status", {"action": "retire"})
    assert client.get("/api/entries/manual-tax").get_json()["status"] == "retired"
    assert [e["slug"] for e in client.get(f"/api/units/{units['กองคลัง']}").get_json()["corner"]] == ["secret"]


def test_share_of_units_with_a_corner(app, client, auth, load, write_entry):
    from kmrepo import db
    from kmrepo.corner.service import corner_kpi

    write_entry("a", "หนึ่ง", title="หนึ่ง", department="กองคลัง")
    write_entry("b", "สอง", title="สอง", department="กองช่าง")
    load(write_entry.folder)
    units = {u["name"]: u["id"] for u in client.get("/api/units").get_json()}
    with app.app_context():
        assert corner_kpi(db.session()) == {"units": 2, "with_corner": 0, "share": 0.0}
    auth.login("km_team")
    auth.post("/corner/add", {"slug": "a", "unit": str(units["กองคลัง"])})
    auth.post("/corner/add", {"slug": "b", "unit": "0"})  # the organisation's corner is not a unit's
    with app.app_context():
        assert corner_kpi(db.session()) == {"units": 2, "with_corner": 1, "share": 50.0}
    assert client.get("/api/kpi/corner").get_json()["share"] == 50.0
    assert "หน่วยงานที่มีมุม KM 1 จาก 2 หน่วยงาน (50.0%)" in client.get("/units/").get_data(as_text=True)
    assert [u["corner"] for u in sorted(client.get("/api/units").get_json(), key=lambda u: u["name"])] == [True, False]


def test_the_km_team_adds_and_renames_units_and_search_follows(client, auth, load, write_entry):
    write_entry("sign", "ยื่นแบบภายในมีนาคม", title="คู่มือภาษีป้าย", department="กองคลัง")
    load(write_entry.folder)
    auth.login("contributor")
    assert client.get("/units/new").status_code == 403
    auth.logout()
    auth.login("km_team")
    assert "เพิ่มหน่วยงาน" in client.get("/units/").get_data(as_text=True)
    resp = auth.post("/units/new", {"name": "  กองการประปา "})
    assert resp.status_code == 303
    assert "กองการประปา" in [u["name"] for u in client.get("/api/units").get_json()]
    clash = auth.post("/units/new", {"name": "กองคลัง"})
    assert clash.status_code == 400 and "มีหน่วยงานชื่อนี้อยู่แล้ว" in clash.get_data(as_text=True)
    finance = next(u["id"] for u in client.get("/api/units").get_json() if u["name"] == "กองคลัง")
    assert auth.post(f"/units/{finance}/edit", {"name": "กองคลังและพัสดุ"}).status_code == 303
    assert client.get("/api/entries/sign").get_json()["department"] == "กองคลังและพัสดุ"
    facets = search(client, "ภาษีป้าย")["facets"]["department"]
    assert [f["value"] for f in facets] == ["กองคลังและพัสดุ"]
    assert client.get(f"/units/{2**40}/edit").status_code == 404
