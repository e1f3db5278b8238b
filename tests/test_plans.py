"""The KM plan: importing the real plans, targets and periods read as data, the CKO's
approval, indicators bound to what kmrepo measures, the dashboard, its workbook and print view."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kmrepo.accounts.models import AuditEvent
from kmrepo.db import session as db_session
from kmrepo.plans.importer import parse_plan
from kmrepo.plans.targets import parse_period, parse_target
from kmrepo.thai_dates import THAI_TZ

from .helpers import SAMPLE_PLAN


@pytest.mark.parametrize(("text", "comparator", "value", "unit"), [
    ("- มีจำนวนการเข้าถึงข้อมูลฐานข้อมูลความรู้ด้านต่างๆ อย่างน้อย ๖ ครั้ง", ">=", 6, "times"),
    ("ร้อยละ ๘๐", "=", 80, "percent"),
    ("- บุคลากรได้รับการอบรม/สัมมนา/ศึกษาดูงาน อย่างน้อยร้อยละ ๘๐", ">=", 80, "percent"),
    ("๑ เรื่อง", "=", 1, "items"),
    ("ไม่น้อยกว่า ๓ องค์ความรู้", ">=", 3, "knowledge items"),
    ("- จำนวนบุคลากรที่เข้าใจการจัดการความรู้อย่างน้อย ๕๐ %", ">=", 50, "percent"),
    ("ไม่เกิน 2 ครั้ง", "<=", 2, "times"),
])
def test_targets_are_read_into_a_comparator_a_value_and_a_unit(text, comparator, value, unit):
    target = parse_target(text)
    assert (target.comparator, target.value, target.unit) == (comparator, value, unit)


def test_a_target_without_a_number_is_kept_for_a_person_and_met_means_at_least():
    target = parse_target("- มีคำสั่งแต่งตั้งคณะทำงาน")
    assert not target.parsed and target.met_by(5) is None
    assert parse_target("๑ เรื่อง").met_by(2) is True and parse_target("อย่างน้อย ๖ ครั้ง").met_by(5) is False
    assert parse_target("ไม่เกิน ๒ ครั้ง").met_by(3) is False


def test_periods_as_plans_write_them():
    assert parse_period("ม.ค. - มี.ค. ๒๕๖๖") == parse_period("มกราคม - มีนาคม 2566")
    assert (parse_period("ม.ค. - มี.ค. ๒๕๖๖").start, parse_period("ม.ค. - มี.ค. ๒๕๖๖").end) == (
        date(2023, 1, 1), date(2023, 3, 31))
    onwards = parse_period("ก.ค. ๒๕๖๖ เป็นต้นไป")
    assert onwards.start == date(2023, 7, 1) and onwards.end is None
    whole = parse_period("ปีงบประมาณ ๒๕๖๖")
    assert (whole.start, whole.end) == (date(2022, 10, 1), date(2023, 9, 30))  # the fiscal year: 1 Oct – 30 Sep
    across = parse_period("ต.ค. - มี.ค. ๒๕๖๖")
    assert (across.start, across.end) == (date(2022, 10, 1), date(2023, 3, 31))
    assert parse_period("ต.ค. - ธ.ค.", fiscal_year=2570).start == date(2026, 10, 1)
    assert not parse_period("ตามความเหมาะสม").parsed


def test_both_pathum_thani_plans_import_with_eight_kmp_activities_and_six_cmp_elements(app, runner, km_plans):
    files = [km_plans / "pathumthani-pao-2566-plan1-risk.txt", km_plans / "pathumthani-pao-2566-plan2-training.txt"]
    result = runner.invoke(["import-plan", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert result.output.count("8 KMP activities, 6 CMP elements") == 2
    with app.app_context():
        from kmrepo.plans.models import KmPlan

        plans = {p.knowledge_item_name: p for p in db_session().scalars(select(KmPlan))}
        training = plans["การอบรมบุคลากรเพื่อพัฒนาความรู้"]
        assert training.fiscal_year == 2566 and training.owner_name == "กองยุทธศาสตร์และงบประมาณ"
        kmp = {a.step: a for a in training.activities if a.kind == "kmp" and a.step}
        assert (kmp[5].target_comparator, kmp[5].target_value, kmp[5].target_unit) == (">=", 6, "times")
        assert kmp[5].measure == "accesses"  # "จำนวนการเข้าถึงฐานข้อมูลความรู้"
        assert (kmp[5].period_start, kmp[5].period_end) == (date(2023, 7, 1), None)
        assert (kmp[1].target_value, kmp[1].target_unit) == (80, "percent")  # "... อย่างน้อยร้อยละ ๘๐"
        assert sorted(a.step for a in training.activities if a.kind == "cmp") == [1, 2, 3, 4, 5, 6]
        risk = plans["กระบวนการบริหารจัดการความเสี่ยงภายในองค์กร"]
        first = [a for a in risk.activities if a.kind == "kmp" and a.number == "1"]
        assert len(first) == 1  # row ๑, split across two pages, merged
        assert "ม.ค. - มี.ค. ๒๕๖๖" == first[0].period_text
        plan_id = training.id
    # importing again updates in place, keeping what the site recorded
    with app.app_context():
        from kmrepo.plans.models import PlanActivity

        row = db_session().scalar(select(PlanActivity).where(PlanActivity.plan_id == plan_id, PlanActivity.number == "5"))
        row.status = "done"
        db_session().commit()
    again = runner.invoke(["import-plan", str(files[1])])
    assert f"updated plan {plan_id}" in again.output
    with app.app_context():
        assert db_session().scalar(select(PlanActivity.status).where(
            PlanActivity.plan_id == plan_id, PlanActivity.number == "5", PlanActivity.kind == "kmp")) == "done"


def test_a_file_with_no_plan_table_is_refused_plainly(runner, tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("บันทึกข้อความ\nไม่มีตาราง\n", encoding="utf-8")
    result = runner.invoke(["import-plan", str(path)])
    assert result.exit_code == 1 and "no activity rows found" in result.output


def test_rows_that_cannot_be_read_are_reported_with_their_line_and_kept():
    text = SAMPLE_PLAN.replace("๓.\tการเรียนรู้", "๓.\tการเรียนรู้") + "\t\t\n๔.\t\t\t\t\n"
    plan = parse_plan(text)
    assert plan.count("kmp") == 3 and plan.count("cmp") == 1
    assert [line for line, _row, _why in plan.problems] == [text.splitlines().index("๔.\t\t\t\t") + 1]


def _seed(client, auth, app):
    """The sample plan for fiscal year 2570, approved, with a few accesses."""
    from kmrepo.plans.service import import_plan

    with app.app_context():
        plan_id = import_plan(db_session(), SAMPLE_PLAN, "sample.txt").plan_id
    return plan_id


def test_indicators_show_target_actual_and_met_and_what_is_not_measured_yet(app, client, auth, load, write_entry,
                                                                           clock):
    write_entry("sign", "ยื่นแบบภาษีป้าย", title="คู่มือภาษีป้าย", department="กองคลัง", type="manual",
                knowledge_items=["การจัดเก็บภาษีป้าย"])
    load(write_entry.folder)
    plan_id = _seed(client, auth, app)
    # accesses: 30 Sep 2026 (FY 2569) once, then seven readers' views in FY 2570
    clock.set_now(datetime(2026, 9, 30, 23, 50, tzinfo=THAI_TZ))
    client.get("/entries/sign", headers={"User-Agent": "Mozilla/5.0 a"})
    clock.set_now(datetime(2026, 10, 1, 0, 5, tzinfo=THAI_TZ))
    for i in range(7):
        agent = f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.{i} Safari/537.36"
        client.get("/entries/sign", headers={"User-Agent": agent})
    clock.advance(timedelta(days=60))

    auth.login("reader")
    assert client.get("/api/kpi", query_string={"fiscal_year": "2570"}).status_code == 403
    auth.logout()
    auth.login("km_team")
    kpi = client.get("/api/kpi", query_string={"fiscal_year": "๒๕๗๐"}).get_json()
    assert kpi["fiscal_year"] == 2570
    rows = {r["indicator"]: r for p in kpi["plans"] for r in p["indicators"]}
    accesses = rows["- จำนวนการเข้าถึงฐานข้อมูลความรู้"]
    assert (accesses["target_text"], accesses["target"], accesses["unit"]) == ("- อย่างน้อย ๖ ครั้ง", 6, "times")
    assert (accesses["actual"], accesses["met"]) == (7, True)
    manual = rows["- มีการประชุมชี้แจง"]
    assert manual["measure"] == "manual" and manual["actual"] is None and manual["measured"] is False
    assert manual["met"] is None
    page = client.get("/kpi", query_string={"fiscal_year": "2570"}).get_data(as_text=True)
    assert "ยังไม่ได้วัด" in page and "ผ่านเป้าหมาย" in page and "<svg" in page and "<caption>" in page

    year = client.get("/api/kpi/accesses", query_string={"fiscal_year": "2570"}).get_json()
    assert year["total"] == 7 and list(year["by_month"])[:2] == ["2026-10", "2026-11"] and len(year["by_month"]) == 12
    assert year["by_month"]["2026-10"] == 7 and year["by_unit"] == {"กองคลัง": 7}
    assert year["by_knowledge_item"] == {"การจัดเก็บภาษีป้าย": 7}
    assert client.get("/api/kpi/accesses", query_string={"fiscal_year": "2569"}).get_json()["total"] == 1

    # the KM team enters a result by hand, with its evidence
    plan = client.get(f"/api/plans/{plan_id}").get_json()
    cmp = next(a for a in plan["activities"] if a["kind"] == "cmp")
    resp = auth.post(f"/plans/{plan_id}/activities/{cmp['id']}/edit", {
        "kind": "cmp", "number": "1", "activity": cmp["activity"], "indicator": cmp["indicator"],
        "target_text": "อย่างน้อย ๑ ครั้ง", "status": "done", "measure": "manual", "manual_actual": "๒",
        "manual_evidence": "รายงานการประชุม ครั้งที่ ๑/๒๕๗๐"})
    assert resp.status_code == 303
    row = next(r for p in client.get("/api/kpi?fiscal_year=2570").get_json()["plans"] for r in p["indicators"]
               if r["id"] == cmp["id"])
    assert (row["actual"], row["met"], row["evidence"]) == (2, True, "รายงานการประชุม ครั้งที่ ๑/๒๕๗๐")
    bad = auth.post(f"/plans/{plan_id}/activities/{cmp['id']}/edit", {
        "kind": "cmp", "activity": "x", "status": "done", "measure": "manual", "manual_actual": "สองครั้ง"})
    assert bad.status_code == 400 and "ผลที่ได้ต้องเป็นตัวเลข" in bad.get_data(as_text=True)

    # per unit and per knowledge item; Thai digits when chosen
    assert client.get("/api/kpi?fiscal_year=2570&unit=99999").get_json()["plans"] == []
    thai = client.get("/kpi", query_string={"fiscal_year": "2570", "digits": "thai"}).get_data(as_text=True)
    assert "๒๕๗๐" in thai and ">๗<" in thai


def test_the_cko_approves_a_plan_and_a_later_edit_asks_again(app, client, auth):
    plan_id = _seed(client, auth, app)
    auth.login("km_team")
    assert auth.post(f"/plans/{plan_id}/approve").status_code == 403
    auth.logout()
    auth.login("cko")
    assert "อนุมัติแผน (CKO)" in client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert auth.post(f"/plans/{plan_id}/approve").status_code == 303
    plan = client.get(f"/api/plans/{plan_id}").get_json()
    assert plan["status"] == "approved" and plan["approved_by"] == "ทดสอบ cko"
    assert auth.post(f"/plans/{plan_id}/approve").status_code == 403  # once
    with app.app_context():
        assert db_session().scalar(select(AuditEvent).where(AuditEvent.action == "plan_approved")) is not None
    auth.logout()
    auth.login("km_team")
    auth.post(f"/plans/{plan_id}/edit", {"title": plan["title"] + " (ปรับปรุง)", "fiscal_year": "2570",
                                         "knowledge_item": "0", "owner": "0"})
    assert client.get(f"/api/plans/{plan_id}").get_json()["status"] == "draft"
    new = auth.post("/plans/new", {"title": "", "fiscal_year": "ปีหน้า", "knowledge_item": "0", "owner": "0"})
    assert new.status_code == 400 and "ปีงบประมาณต้องเป็นปี พ.ศ." in new.get_data(as_text=True)


def test_an_activity_typed_by_hand_is_placed_on_the_kmp_step_it_names(client, auth, app):
    plan_id = _seed(client, auth, app)
    auth.login("km_team")
    for text, step in (("จัดเวทีแลกเปลี่ยนเรียนรู้ ( KMP ๕ )", 5), ("ทบทวนคู่มือ (kmp 7)", 7)):
        resp = auth.post(f"/plans/{plan_id}/activities/new", {"kind": "kmp", "activity": text, "status": "not_started", "measure": ""})
        assert resp.status_code == 303
        added = [a for a in client.get(f"/api/plans/{plan_id}").get_json()["activities"] if a["activity"] == text]
        assert [a["step"] for a in added] == [step]


def test_the_year_exports_to_a_workbook_and_prints_on_a4(app, client, auth):
    from openpyxl import load_workbook

    _seed(client, auth, app)
    auth.login("km_team")
    resp = client.get("/kpi.xlsx", query_string={"fiscal_year": "2570"})
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames[0] == "สรุป" and len(book.sheetnames) == 2
    sheet = book.worksheets[1]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "- อย่างน้อย ๖ ครั้ง" in values and "ยังไม่ได้วัด" in values
    assert any("การจัดเก็บภาษีป้าย" in str(v) for v in values)
    summary = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "ตุลาคม 2569" in summary  # months in Thai, Buddhist Era
    printed = client.get("/kpi/print", query_string={"fiscal_year": "2570"}).get_data(as_text=True)
    assert "รายงานผลการดำเนินงานตามแผนการจัดการความรู้" in printed and "print-report.css" in printed
    assert "ลงชื่อ" in printed and 'class="searchbar' not in printed


def test_evidence_files_are_attached_served_to_the_km_team_and_kept_across_a_reimport(app, client, auth):
    from kmrepo.plans.service import import_plan

    plan_id = _seed(client, auth, app)
    auth.login("km_team")
    activity = client.get(f"/api/plans/{plan_id}").get_json()["activities"][0]
    resp = auth.post(f"/plans/activities/{activity['id']}/evidence?plan={plan_id}",
                     {"file": (io.BytesIO("รายงานการประชุม ครั้งที่ ๑".encode()), "รายงานการประชุม.txt")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "แนบไฟล์หลักฐาน รายงานการประชุม.txt แล้ว" in resp.get_data(as_text=True)
    refused = auth.post(f"/plans/activities/{activity['id']}/evidence?plan={plan_id}",
                        {"file": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), "virus.txt")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "ไม่รับไฟล์" in refused.get_data(as_text=True)
    files = client.get(f"/api/plans/{plan_id}").get_json()["activities"][0]["files"]
    assert [f["filename"] for f in files] == ["รายงานการประชุม.txt"]
    url = f"/plans/evidence/{files[0]['id']}/รายงานการประชุม.txt"
    assert client.get(url).data.decode() == "รายงานการประชุม ครั้งที่ ๑"
    row = next(r for p in client.get("/api/kpi?fiscal_year=2570").get_json()["plans"] for r in p["indicators"]
               if r["id"] == activity["id"])
    assert row["files"] == ["รายงานการประชุม.txt"]
    with app.app_context():
        import_plan(db_session(), SAMPLE_PLAN, "sample.txt")  # the same document again
    assert [f["filename"] for f in client.get(f"/api/plans/{plan_id}").get_json()["activities"][0]["files"]] == [
        "รายงานการประชุม.txt"]
    auth.logout()
    auth.login("reader")
    assert client.get(url).status_code in (403, 404)
    auth.logout()
    auth.login("km_team")
    assert auth.post(f"/plans/evidence/{files[0]['id']}/remove").status_code == 303
    assert client.get(url).status_code == 404


def test_every_computed_measure_on_a_seeded_database(app, client, auth, load, write_entry, clock):
    """Each measure kmrepo computes, for fiscal year 2570, against what was seeded."""
    from kmrepo.accounts.models import Department, User
    from kmrepo.corner.models import CornerEntry
    from kmrepo.library.models import Entry
    from kmrepo.plans.measures import MEASURES, compute, guess
    from kmrepo.training.models import TrainingRecord
    from kmrepo.training.service import Settings

    clock.set_now(datetime(2026, 11, 2, 9, tzinfo=THAI_TZ))  # FY 2570
    write_entry("m1", "คู่มือ", title="คู่มือ ก", type="manual", department="กองคลัง")
    write_entry("m2", "คู่มือ", title="คู่มือ ข", type="manual", department="กองช่าง")
    write_entry("a1", "บทความ", title="บทความ", department="กองคลัง")
    load(write_entry.folder)
    auth.login("reader")
    client.get("/entries/m1")
    auth.post("/entries/m1/useful", {"useful": "1"})
    auth.logout()
    with app.app_context():
        s = db_session()
        units = {d.name: d for d in s.scalars(select(Department))}  # กองคลัง, กองช่าง (+ the users' กองคลัง)
        s.add(CornerEntry(department_id=units["กองคลัง"].id, entry_id=s.scalar(select(Entry.id).where(
            Entry.slug == "m1")), position=1, note="", added_at=clock.now()))
        reader = s.scalar(select(User).where(User.username == "reader"))
        s.add_all([
            TrainingRecord(trainee=reader, unit_id=reader.department_id, course="ก", returned_on=date(2026, 10, 1),
                           submitted_on=date(2026, 10, 10), state="approved", followed_up_at=clock.now()),
            TrainingRecord(trainee=reader, unit_id=reader.department_id, course="ข", returned_on=date(2026, 10, 2),
                           submitted_on=date(2026, 11, 1), state="approved"),
        ])
        s.commit()
        staff = s.scalar(select(func.count(User.id)))
        got = {key: compute(s, key, 2570, Settings()) for key in MEASURES}
    assert got["accesses"] == 1 and got["usable_entries"] == 1 and got["entries_revised"] == 0
    assert got["entries_published"] == 3 and got["manuals"] == 2
    assert got["units_with_manual"] == 100.0  # both units have a new manual
    assert got["reports_on_time"] == 50.0 and got["supervisor_followups"] == 1
    assert got["corner_share"] == 50.0
    assert got["staff_trained"] == round(100 / staff, 1)
    with app.app_context():
        assert compute(db_session(), "reports_on_time", 2569, Settings()) is None  # none submitted: not measured
    assert guess("- จำนวนการเข้าถึงฐานข้อมูลความรู้ด้านต่างๆ") == "accesses"
    assert guess("ร้อยละของหน่วยงานที่มีมุมความรู้") == "corner_share"
    assert guess("คู่มือการปฏิบัติงานอย่างน้อยหน่วยงานละ ๑ เรื่อง ทุกหน่วยงาน") == "units_with_manual"
    assert guess("- มีคำสั่งแต่งตั้งคณะทำงาน") == "manual"
