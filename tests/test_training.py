"""Post-training reports, walked as users walk them, with the clock moved: the 15-day
rule, a three-step chain with an acting approver, a return and a resubmission,
publication found by a Thai search, the KPI, reminders sent once, and bad dates."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from kmrepo.accounts.models import Notification, User
from kmrepo.accounts.service import create_user
from kmrepo.cli import cli
from kmrepo.db import session as db_session
from kmrepo.thai_dates import THAI_TZ
from kmrepo.training.models import Reminder
from kmrepo.training.service import due_date, parse_date

from .helpers import PASSWORD, AuthActions, search


def at(y, m, d, hour=9):
    return datetime(y, m, d, hour, tzinfo=THAI_TZ)


def test_the_fifteen_days_do_not_count_the_day_of_return():
    assert due_date(date(2027, 3, 1)) == date(2027, 3, 16)  # docs/domain.md, ป.พ.พ. มาตรา ๑๙๓/๓
    assert due_date(date(2028, 2, 14)) == date(2028, 2, 29)  # a leap day is a day like any other
    assert due_date(date(2027, 2, 14)) == date(2027, 3, 1)
    assert due_date(date(2026, 9, 25)) == date(2026, 10, 10)  # over the fiscal-year boundary
    # With the setting on (มาตรา ๑๙๓/๘), a due date on a weekend or holiday moves on.
    assert due_date(date(2027, 3, 5)) == date(2027, 3, 20)  # a Saturday
    assert due_date(date(2027, 3, 5), move_off_holidays=True) == date(2027, 3, 22)  # to Monday
    assert due_date(date(2027, 3, 29), move_off_holidays=True) == date(2027, 4, 16)  # after Songkran, 13-15 April
    office = {date(2027, 3, 22)}
    assert due_date(date(2027, 3, 5), move_off_holidays=True, office_days=office) == date(2027, 3, 23)


def test_dates_as_offices_write_them():
    assert parse_date("1 มี.ค. 2570") == parse_date("๑/๓/๒๕๗๐") == parse_date("2027-03-01") == date(2027, 3, 1)
    assert parse_date("1 มีนาคม 70") == date(2027, 3, 1)
    assert parse_date("29 ก.พ. 2571") == date(2028, 2, 29)
    from kmrepo.errors import BadInput

    for bad in ("30 ก.พ. 2570", "สามสิบ", "2027-13-01", "1 xyz 2570"):
        with pytest.raises(BadInput):
            parse_date(bad)


@pytest.fixture
def office(app, users):
    """A unit with a three-step chain: หัวหน้าฝ่าย (head) → ผู้อำนวยการกองคลัง (a
    position, held by director) → ปลัดเทศบาล (clerk); a deputy who acts for the director."""
    with app.app_context():
        s = db_session()
        for name, position in (("head", "หัวหน้าฝ่ายพัฒนารายได้"), ("director", "ผู้อำนวยการกองคลัง"),
                               ("deputy", "นักวิชาการเงินและบัญชี"), ("clerk", "ปลัดเทศบาล"),
                               ("trainee", "นักวิชาการจัดเก็บรายได้")):
            create_user(s, name, PASSWORD, full_name=f"คุณ{name}", position=position, department="กองคลัง",
                        roles={"supervisor"} if name != "trainee" else ())
        create_user(s, "other", PASSWORD, full_name="คุณอื่น", department="กองช่าง")
    admin = AuthActions(app.test_client())
    admin.login("admin")
    resp = admin.post("/training/chains", {"unit": "กองคลัง", "steps": "head\nผู้อำนวยการกองคลัง\nclerk"})
    assert resp.status_code == 303
    chains = admin.client.get("/api/training/chains").get_json()["units"]
    assert next(u for u in chains if u["unit"] == "กองคลัง")["steps"][1]["title"] == "ผู้อำนวยการกองคลัง"
    return app


def _login(app, name) -> AuthActions:
    actions = AuthActions(app.test_client())
    assert actions.login(name).status_code == 302
    return actions


def _new_record(trainee: AuthActions, returned="1 มี.ค. 2570", course="การจัดเก็บภาษีที่ดินและสิ่งปลูกสร้าง",
                starts="25 ก.พ. 2570", ends="27 ก.พ. 2570") -> int:
    resp = trainee.post("/training/new", {"course": course, "kind": "training", "organiser": "กรมส่งเสริมการปกครองท้องถิ่น",
                                          "starts_on": starts, "ends_on": ends,
                                          "returned_on": returned, "cost": "๓,๕๐๐", "external": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return int(resp.headers["Location"].split("/")[-2])


REPORT = {"objectives": "เพื่อเพิ่มความรู้ในการประเมินภาษี", "content": "การสำรวจที่ดินและสิ่งปลูกสร้างด้วยแผนที่ภาษี",
          "knowledge": "ขั้นตอนการประเมินราคาทรัพย์สินตามบัญชีราคาประเมินทุนทรัพย์",
          "application": "ปรับปรุงทะเบียนทรัพย์สินของกองคลัง", "suggestions": "ควรจัดซื้อโปรแกรมแผนที่ภาษีรุ่นใหม่",
          "internal_suggestions": "y"}


@pytest.mark.parametrize(("day", "status"), [(15, "on_time"), (16, "on_time"), (17, "late")])
def test_a_report_on_the_due_date_is_on_time(office, clock, day, status):
    """Back on 1 March 2027: submitted on the 15th (day 14) or 16th (day 15) is on time,
    on the 17th (day 16) late."""
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    record = _new_record(trainee)
    assert trainee.post(f"/training/{record}/report", REPORT).status_code == 303  # a draft, any time
    clock.set_now(at(2027, 3, day))
    trainee = _login(office, "trainee")  # days later: signed in again (sessions idle out after 8 hours)
    assert trainee.post(f"/training/{record}/report", {**REPORT, "send": "1"}).status_code == 302
    data = trainee.client.get(f"/api/training/{record}").get_json()
    assert (data["due_on"], data["status"], data["state"]) == ("2027-03-16", status, "submitted")


def test_the_whole_path_up_the_chain_to_a_published_searchable_report(office, clock):
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    record = _new_record(trainee)
    assert trainee.client.get(f"/api/training/{record}").get_json()["status_label"] == "ครบกำหนดในอีก 14 วัน"
    trainee.post(f"/training/{record}/report", {**REPORT, "send": "1"})
    # the head sees it in the queue; the clerk, whose step it has not reached, does not see it at all
    head, clerk = _login(office, "head"), _login(office, "clerk")
    assert [r["id"] for r in head.client.get("/api/training/queue").get_json()["records"]] == [record]
    assert clerk.client.get(f"/api/training/{record}").status_code == 404
    assert clerk.client.get("/api/training/queue").get_json()["records"] == []
    # the trainee can neither approve its own report nor skip the chain
    assert trainee.post(f"/training/{record}/decide", {"decision": "approve"}).status_code == 403
    assert trainee.client.get(f"/api/training/{record}").get_json()["waiting_at"].startswith("คุณhead")
    # returning needs a comment; then the report goes back to the trainee
    head.post(f"/training/{record}/decide", {"decision": "return", "comment": ""})
    assert trainee.client.get(f"/api/training/{record}").get_json()["state"] == "submitted"
    head.post(f"/training/{record}/decide", {"decision": "return", "comment": "กรุณาเพิ่มตัวอย่างการนำไปใช้"})
    data = trainee.client.get(f"/api/training/{record}").get_json()
    assert data["state"] == "returned" and data["trail"][-1]["comment"] == "กรุณาเพิ่มตัวอย่างการนำไปใช้"
    assert trainee.client.get("/api/notifications").get_json()["unread"] == 1
    clock.set_now(at(2027, 3, 20))  # resubmitted after the due date: still on time (first submitted on the 2nd)
    trainee, head, clerk = _login(office, "trainee"), _login(office, "head"), _login(office, "clerk")
    trainee.post(f"/training/{record}/report", {**REPORT, "application": "ใช้แผนที่ภาษีตรวจแปลงใหม่", "send": "1"})
    head.post(f"/training/{record}/decide", {"decision": "approve", "comment": "เห็นชอบ"})
    # the director is away: the deputy acts for the director
    director = _login(office, "director")
    director.post("/training/delegations", {"acting": "deputy", "starts_on": "20 มี.ค. 2570", "ends_on": "31 มี.ค. 2570"})
    deputy = _login(office, "deputy")
    assert [r["acting_for"] for r in deputy.client.get("/api/training/queue").get_json()["records"]] == ["คุณdirector"]
    deputy.post(f"/training/{record}/decide", {"decision": "approve"})
    clerk.post(f"/training/{record}/decide", {"decision": "approve", "comment": "อนุมัติ"})
    data = clerk.client.get(f"/api/training/{record}").get_json()
    assert data["state"] == "published" and data["status"] == "on_time"
    assert [(s["decision"], s["acting_for"]) for s in data["trail"]] == [
        ("submitted", None), ("returned", None), ("submitted", None), ("approved", None),
        ("approved", "คุณdirector"), ("approved", None)]
    printed = clerk.client.get(f"/training/{record}/print").get_data(as_text=True)
    assert "ปฏิบัติราชการแทน ผู้อำนวยการกองคลัง" in printed and "แบบรายงานผลการเข้ารับการพัฒนา" in printed
    # published: found by a Thai search, without the cost or the internal suggestions
    hits = search(office.test_client(), "ทะเบียนทรัพย์สิน แผนที่ภาษี")["results"]
    assert hits and hits[0]["slug"] == data["entry"] and hits[0]["type"] == "training_report"
    public = office.test_client().get(f"/api/entries/{data['entry']}").get_json()
    assert "3,500" not in public["body"] and "3500" not in public["body"] and "โปรแกรมแผนที่ภาษีรุ่นใหม่" not in public["body"]
    assert public["fiscal_year"] == 2570 and public["department"] == "กองคลัง"
    # follow-up by an approver, then the KPI
    clerk.post(f"/training/{record}/follow-up", {"assessment": "หลังอบรมประเมินได้เร็วขึ้น ข้อผิดพลาดลดลง"})
    kpi = office.test_client().get("/api/kpi/training-reports?fiscal_year=2570").get_json()
    assert {k: kpi[k] for k in ("fiscal_year", "records", "submitted_on_time", "submitted_late", "overdue",
                                "pending", "on_time_rate", "followed_up")} == {
        "fiscal_year": 2570, "records": 1, "submitted_on_time": 1, "submitted_late": 0, "overdue": 0,
        "pending": 0, "on_time_rate": 1.0, "followed_up": 1}
    assert kpi["by_unit"]["กองคลัง"]["records"] == 1
    km = _login(office, "km_team")
    page = km.client.get("/stats?year=2570").get_data(as_text=True)
    assert "รายงานผลการเข้ารับการพัฒนาภายใน ๑๕ วัน" in page and "ส่งทันเวลาร้อยละ 100.0" in page
    actions = [e["action"] for e in _login(office, "admin").client.get("/api/audit").get_json()["events"]]
    assert actions.count("report_approved") == 3 and "report_returned" in actions and "report_submitted" in actions


def test_another_units_supervisor_and_staff_see_nothing_of_a_report(office, clock):
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    record = _new_record(trainee)
    trainee.post(f"/training/{record}/report", {**REPORT, "send": "1"})
    other = _login(office, "other")
    assert other.client.get(f"/api/training/{record}").status_code == 404
    assert other.client.get(f"/training/{record}/print").status_code == 404
    assert other.post(f"/training/{record}/decide", {"decision": "approve"}).status_code == 404


def test_bad_dates_get_a_thai_message_and_nothing_is_saved(office, clock):
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    cases = {"returned_on": ("10 มี.ค. 2570", "วันที่กลับต้องไม่เป็นวันในอนาคต"),
             "ends_on": ("20 ก.พ. 2570", "วันสิ้นสุดต้องไม่ก่อนวันเริ่มอบรม"),
             "starts_on": ("สามสิบ", "ไม่ใช่วันที่ที่อ่านได้")}
    for field, (value, message) in cases.items():
        resp = trainee.post("/training/new", {"course": "หลักสูตร", "kind": "training", "starts_on": "25 ก.พ. 2570",
                                              "ends_on": "27 ก.พ. 2570", "returned_on": "1 มี.ค. 2570",
                                              field: value})
        assert resp.status_code == 400 and message in resp.get_data(as_text=True), field
    assert trainee.client.get("/api/training").get_json()["records"] == []


def test_reminders_go_out_once_each_even_when_remind_runs_twice(office, clock):
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    _new_record(trainee)  # due 16 March
    runner = office.test_cli_runner()
    sent = []
    for day in (8, 9, 9, 13, 13, 15, 15, 16, 17, 17, 18):
        clock.set_now(at(2027, 3, day, 7))
        out = runner.invoke(cli, ["remind"]).output
        sent.append(int(out.split()[1]))
    assert sent == [0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0]  # 7 days before, 3, 1, overdue: once each
    with office.app_context():
        s = db_session()
        kinds = sorted(k for (k,) in s.execute(select(Reminder.kind)))
        assert kinds == ["1", "3", "7", "overdue"]
        trainee_id = s.scalar(select(User.id).where(User.username == "trainee"))
        assert s.scalar(select(func.count(Notification.id)).where(Notification.user_id == trainee_id)) == 4


def test_the_km_team_follows_every_deadline_and_exports_them(office, clock):
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    _new_record(trainee, returned="1 มี.ค. 2570")
    _new_record(trainee, returned="1 ก.พ. 2570", course="การใช้งานระบบ e-GP", starts="28 ม.ค. 2570", ends="30 ม.ค. 2570")
    km = _login(office, "km_team")
    data = km.client.get("/api/training/deadlines?fy=2570&sort=due").get_json()
    assert [r["status"] for r in data["records"]] == ["overdue", "due"] and data["counts"] == {"overdue": 1, "due": 1}
    book = load_workbook(io.BytesIO(km.client.get("/training/deadlines.xlsx?fy=๒๕๗๐").data))
    sheet = book.active
    assert sheet.title == "ปีงบประมาณ 2570" and sheet["A1"].value == "ผู้เข้ารับการพัฒนา"
    assert sheet["C2"].value == "การใช้งานระบบ e-GP" and sheet["F2"].value == "16 กุมภาพันธ์ 2570"
    assert trainee.client.get("/api/training/deadlines").status_code == 403


def test_a_record_counts_in_the_fiscal_year_of_its_return(office, clock):
    """Back on 25 September 2026 (ปีงบประมาณ 2569), due on 10 October (2570): it counts in 2569."""
    clock.set_now(at(2026, 9, 26))
    _new_record(_login(office, "trainee"), returned="25 ก.ย. 2569", starts="22 ก.ย. 2569", ends="24 ก.ย. 2569")
    clock.set_now(at(2026, 10, 11))
    client = office.test_client()
    assert client.get("/api/kpi/training-reports?fiscal_year=2569").get_json()["overdue"] == 1
    assert client.get("/api/kpi/training-reports?fiscal_year=2570").get_json()["records"] == 0


def test_past_years_come_in_through_kmrepo_load_and_count_in_the_kpi(app, runner, write_entry, clock):
    clock.set_now(at(2027, 3, 2))
    common = {"type": "training_report", "unit": "กองคลัง", "kind": "seminar"}
    write_entry("r1", "สรุปการสัมมนา", title="สัมมนาการเงินท้องถิ่น", trainee="สมศรี ใจดี", course="การเงินท้องถิ่น",
                returned_on="1 มี.ค. 2569", submitted_on="๑๖/๓/๒๕๖๙", **common)  # on the due date: on time
    write_entry("r2", "สรุปการศึกษาดูงาน", title="ดูงานธนาคารขยะ", trainee="สมชาย", course="ธนาคารขยะ",
                returned_on="2026-01-10", submitted_on="2026-02-01", **common)  # late
    write_entry("r3", "ยังไม่ส่ง", title="อบรมใหม่", trainee="สมหญิง", returned_on="1 ก.พ. 2570", **common)
    write_entry("bad", "วันที่ผิด", title="อบรมวันที่ผิด", trainee="x", returned_on="31 ก.พ. 2569", **common)
    result = runner.invoke(args=["load", str(write_entry.folder)])
    assert result.exit_code == 1 and "3 training records" in result.output
    assert "bad.md: front matter 'returned_on'" in result.output  # the file and the key
    kpi = app.test_client().get("/api/kpi/training-reports?fiscal_year=2569").get_json()
    assert (kpi["records"], kpi["submitted_on_time"], kpi["submitted_late"]) == (2, 1, 1)
    assert kpi["on_time_rate"] == 0.5
    assert app.test_client().get("/api/kpi/training-reports?fiscal_year=2570").get_json()["overdue"] == 1
    again = runner.invoke(args=["load", str(write_entry.folder)])  # loading again changes nothing
    assert "3 training records" in again.output
    assert app.test_client().get("/api/kpi/training-reports?fiscal_year=2569").get_json()["records"] == 2


def test_a_certificate_attached_to_the_report_reaches_its_approvers_and_the_published_entry(office, clock):
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    record = _new_record(trainee)
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    resp = trainee.post(f"/training/{record}/files", {"file": (io.BytesIO(pdf), "วุฒิบัตร.pdf")},
                        content_type="multipart/form-data")
    assert resp.status_code == 303
    refused = trainee.post(f"/training/{record}/files", {"file": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 60), "x.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "ไม่รับไฟล์" in refused.get_data(as_text=True)
    files = trainee.client.get(f"/api/training/{record}").get_json()["attachments"]
    assert [f["filename"] for f in files] == ["วุฒิบัตร.pdf"]
    url = f"/training/{record}/files/{files[0]['id']}/วุฒิบัตร.pdf"
    assert _login(office, "other").client.get(url).status_code == 404  # another unit: nothing
    trainee.post(f"/training/{record}/report", {**REPORT, "send": "1"})
    head = _login(office, "head")
    assert head.client.get(url).data == pdf  # the approver it reached reads it
    assert search(office.test_client(), "ทะเบียนทรัพย์สิน")["total"] == 0  # not published yet: not found
    for name in ("head", "director", "clerk"):
        _login(office, name).post(f"/training/{record}/decide", {"decision": "approve"})
    entry = head.client.get(f"/api/training/{record}").get_json()["entry"]
    public = office.test_client().get(f"/api/entries/{entry}").get_json()
    assert [a["filename"] for a in public["attachments"]] == ["วุฒิบัตร.pdf"]


def test_reminders_are_emailed_when_a_mailer_is_given(office, clock):
    from kmrepo.training import service

    clock.set_now(at(2027, 3, 2))
    with office.app_context():
        s = db_session()
        trainee = s.scalar(select(User).where(User.username == "trainee"))
        trainee.email = "somsri@example.go.th"
        s.commit()
    _new_record(_login(office, "trainee"))
    clock.set_now(at(2027, 3, 9, 7))
    mail = []
    with office.app_context():
        sent = service.remind(db_session(), service.Settings(), send_mail=lambda *m: mail.append(m))
        again = service.remind(db_session(), service.Settings(), send_mail=lambda *m: mail.append(m))
        emailed = db_session().scalar(select(Reminder.emailed))
    assert len(sent) == 1 and again == [] and emailed is True
    assert mail == [("somsri@example.go.th", "แจ้งเตือนรายงานผลการอบรม",
                     mail[0][2])] and "อีก 7 วัน" in mail[0][2]


def test_an_office_names_the_sections_of_its_own_form(office, clock):
    office.config["TRAINING_REPORT_HEADINGS"] = {"knowledge": "องค์ความรู้ที่ได้รับและแหล่งอ้างอิง"}
    clock.set_now(at(2027, 3, 2))
    trainee = _login(office, "trainee")
    record = _new_record(trainee)
    assert "องค์ความรู้ที่ได้รับและแหล่งอ้างอิง" in trainee.client.get(f"/training/{record}/report").get_data(as_text=True)
    trainee.post(f"/training/{record}/report", {**REPORT, "send": "1"})
    for name in ("head", "director", "clerk"):
        _login(office, name).post(f"/training/{record}/decide", {"decision": "approve"})
    entry = trainee.client.get(f"/api/training/{record}").get_json()["entry"]
    body = office.test_client().get(f"/api/entries/{entry}").get_json()["body"]
    assert "## องค์ความรู้ที่ได้รับและแหล่งอ้างอิง" in body and "## สาระสำคัญที่ได้เรียนรู้" in body
