"""Readers mark entries useful and comment; the author and the KM team are told; the
"usable knowledge" and "revised entries" indicators count these and real revisions."""

from __future__ import annotations

from datetime import datetime

from kmrepo import clock
from kmrepo.thai_dates import THAI_TZ


def _publish(auth, title, body="เนื้อหา"):
    auth.post("/entries/new", {"title": title, "type": "manual", "body": body, "department": "0",
                               "visibility": "internal"})
    slug = auth.client.get("/api/workspace").get_json()["mine"][0]["slug"]
    for action in ("submit", "approve", "publish"):
        auth.post(f"/entries/{slug}/status", {"action": action})
    assert auth.client.get(f"/api/entries/{slug}").get_json()["status"] == "published"
    return slug


def test_readers_mark_useful_once_and_comment_and_the_author_and_km_team_are_told(client, auth):
    with clock.travel(datetime(2026, 11, 2, 9, tzinfo=THAI_TZ)):
        auth.login("km_team")
        slug = _publish(auth, "คู่มือการรับเรื่องร้องเรียน")
        auth.logout()

        # anonymous readers see the counts but give nothing
        assert client.post(f"/entries/{slug}/useful").status_code in (302, 303, 400, 401, 403)
        auth.login("reader")
        page = client.get(f"/entries/{slug}").get_data(as_text=True)
        assert "มีประโยชน์</button>" in page
        for _ in range(2):  # twice: counts once
            auth.post(f"/entries/{slug}/useful", {"useful": "1"})
        assert client.get(f"/api/entries/{slug}").get_json()["feedback"]["useful"] == 1
        resp = auth.post(f"/entries/{slug}/comments", {"body": "ขั้นตอนที่ ๓ ควรระบุเบอร์โทรของศูนย์ดำรงธรรม"},
                         follow_redirects=True)
        assert "ขั้นตอนที่ ๓ ควรระบุเบอร์โทร" in resp.get_data(as_text=True)
        empty = auth.post(f"/entries/{slug}/comments", {"body": "   "}, follow_redirects=True)
        assert "กรุณาพิมพ์ความเห็น" in empty.get_data(as_text=True)
        too_long = auth.post(f"/entries/{slug}/comments", {"body": "ก" * 2001}, follow_redirects=True)
        assert "ไม่เกิน ๒,๐๐๐" in too_long.get_data(as_text=True)
        fb = client.get(f"/api/entries/{slug}").get_json()["feedback"]
        assert fb["marked"] and [c["body"].split()[0] for c in fb["comments"]] == ["ขั้นตอนที่"]
        # a reader cannot delete another's comment
        auth.logout()
        auth.login("contributor")
        other = auth.post(f"/comments/{fb['comments'][0]['id']}/delete")
        assert other.status_code == 403
        auth.logout()

        # the author (km_team wrote it) is told of the mark and the comment
        auth.login("km_team")
        texts = [n["text"] for n in client.get("/api/notifications").get_json()["notifications"]]
        assert any("มีประโยชน์" in t for t in texts) and any("ความเห็นใหม่" in t for t in texts)
        # the KM team moderates
        assert auth.post(f"/comments/{fb['comments'][0]['id']}/delete").status_code == 303
        assert client.get(f"/api/entries/{slug}").get_json()["feedback"]["comments"] == []
        assert auth.post(f"/comments/{2**62}/delete").status_code == 404


def test_usable_and_revised_entries_are_counted_per_fiscal_year(client, auth):
    with clock.travel(datetime(2026, 9, 30, 23, 30, tzinfo=THAI_TZ)):  # last day of FY 2569
        auth.login("km_team")
        a = _publish(auth, "คู่มือ ก")
        b = _publish(auth, "คู่มือ ข")
        auth.logout()
        auth.login("reader")
        auth.post(f"/entries/{a}/useful", {"useful": "1"})
        auth.logout()
    with clock.travel(datetime(2026, 10, 1, 0, 30, tzinfo=THAI_TZ)):  # first hour of FY 2570
        auth.login("reader")
        auth.post(f"/entries/{b}/useful", {"useful": "1"})
        auth.logout()
        auth.login("contributor")
        auth.post(f"/entries/{b}/useful", {"useful": "1"})
        auth.logout()
        auth.login("km_team")
        entry = client.get(f"/api/entries/{a}").get_json()
        auth.post(f"/entries/{a}/edit", {"title": entry["title"], "type": "manual", "body": "เนื้อหาใหม่",
                                         "department": "0", "visibility": "internal", "note": "ปรับขั้นตอน"})
        # a save that changes nothing is no revision
        entry = client.get(f"/api/entries/{b}").get_json()
        auth.post(f"/entries/{b}/edit", {"title": entry["title"], "type": "manual", "body": entry["body"],
                                         "department": "0", "visibility": "internal"})
    y2569 = client.get("/api/kpi/knowledge", query_string={"fiscal_year": "๒๕๖๙"}).get_json()
    y2570 = client.get("/api/kpi/knowledge", query_string={"fiscal_year": "2570"}).get_json()
    assert (y2569["usable_entries"], y2569["useful_marks"], y2569["revised_entries"]) == (1, 1, 0)
    assert (y2570["usable_entries"], y2570["useful_marks"], y2570["revised_entries"]) == (1, 2, 1)
    bad = client.get("/api/kpi/knowledge", query_string={"fiscal_year": "ปีหน้า"})
    assert bad.status_code == 400 and "ปี พ.ศ." in bad.get_json()["error"]
