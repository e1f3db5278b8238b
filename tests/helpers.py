"""What tests share besides fixtures: reading the site as a browser or an API client
would, and the accounts every role test signs in with."""

from __future__ import annotations

import os
import re
from pathlib import Path


def search(client, q, **params):
    """GET /api/search and return the JSON."""
    resp = client.get("/api/search", query_string={"q": q, **params})
    assert resp.status_code == 200
    return resp.get_json()




#: One account per role (plus a plain reader), password PASSWORD; see the ``users`` fixture.
PASSWORD = "correct horse battery"
ROLE_ACCOUNTS = {
    "reader": (),
    "contributor": ("contributor",),
    "supervisor": ("supervisor",),
    "km_team": ("km_team",),
    "cko": ("cko",),
    "admin": ("admin",),
}


def csrf_token(client, path="/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username="reader", password=PASSWORD):
        """Sign in through the form; returns the response (not followed)."""
        token = csrf_token(self.client, "/account/login")
        return self.client.post("/account/login", data={"username": username, "password": password,
                                                        "csrf_token": token})

    def logout(self):
        return self.client.post("/account/logout", data={"csrf_token": csrf_token(self.client)})

    def post(self, path, data=None, **kwargs):
        """POST a form with the session's CSRF token added."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(self.client))
        return self.client.post(path, data=data, **kwargs)


#: A small KM plan written as the real ones are (tab-separated rows under a header row),
#: for tests that need one without ../shared.
SAMPLE_PLAN = """แผนการจัดการความรู้ (KM Action Plan) เรื่อง การจัดเก็บภาษีป้าย

ชื่อองค์ความรู้ที่เลือก : การจัดเก็บภาษีป้าย
เจ้าภาพผู้รับผิดชอบองค์ความรู้ : กองคลัง

## กิจกรรมการจัดการความรู้

ที่\tกิจกรรมการจัดการความรู้\tระยะเวลา\tตัวชี้วัด\tเป้าหมายตัวชี้วัด\tกลุ่มเป้าหมาย\tผู้รับผิดชอบ\tเอกสารที่แสดงผลสำเร็จของงาน
๑.\tการบ่งชี้ความรู้ (KMP ๑)\tต.ค. - ธ.ค. ๒๕๖๙\t- จำนวนองค์ความรู้ที่บ่งชี้\t- ไม่น้อยกว่า ๓ องค์ความรู้\t- กองคลัง\t- หัวหน้าฝ่าย\t- รายงานการประชุม
๒.\tการเข้าถึงความรู้ (KMP ๕)\tม.ค. ๒๕๗๐ เป็นต้นไป\t- จำนวนการเข้าถึงฐานข้อมูลความรู้\t- อย่างน้อย ๖ ครั้ง\t- บุคลากรในสังกัด\t- กองคลัง\t- สถิติการเข้าถึง
๓.\tการเรียนรู้ (KMP ๗)\tก.ย. ๒๕๗๐\t- บุคลากรนำความรู้ไปใช้\t- ร้อยละ ๘๐\t- บุคลากรในสังกัด\t- กองคลัง\t- แบบประเมิน

## กระบวนการบริหารจัดการการเปลี่ยนแปลง

ที่\tกิจกรรม\tวิธีการสู่ความสำเร็จ\tระยะเวลา\tตัวชี้วัด\tเป้าหมาย\tผู้รับผิดชอบ
๑\tการสื่อสาร (CMP ๒)\t- ประชุมชี้แจง\tปีงบประมาณ ๒๕๗๐\t- มีการประชุมชี้แจง\t- มีคำสั่งแต่งตั้งคณะทำงาน\t- สำนักปลัด
"""


def folder_files(folder: str) -> dict[str, bytes]:
    """Every file below ``folder``: relative path → contents (to compare two folders)."""
    out = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = Path(path).read_bytes()
    return out
