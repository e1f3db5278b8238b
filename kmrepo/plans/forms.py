"""The KM plan's web forms (Flask-WTF: CSRF on every one). Messages are Thai."""

from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import clock
from ..accounts.forms import REQUIRED, ThaiForm, thai_number
from ..errors import BadInput
from ..thai_dates import parse_fiscal_year
from .measures import MANUAL, MEASURES
from .models import ACTIVITY_KINDS, ACTIVITY_STATUSES

LONG = Length(max=5000, message="ยาวได้ไม่เกิน ๕,๐๐๐ ตัวอักษร")


class PlanForm(ThaiForm):
    title = StringField("ชื่อแผน", validators=[DataRequired(REQUIRED), Length(max=500, message="ยาวได้ไม่เกิน ๕๐๐ ตัวอักษร")])
    fiscal_year = StringField("ปีงบประมาณ (พ.ศ.)", validators=[DataRequired(REQUIRED), Length(max=10)])
    knowledge_item = SelectField("องค์ความรู้", coerce=int, choices=[])
    owner = SelectField("หน่วยงานเจ้าภาพ", coerce=int, choices=[])
    strategic_issue = TextAreaField("ประเด็นยุทธศาสตร์", validators=[Optional(), LONG])
    reason = TextAreaField("เหตุผลที่เลือกองค์ความรู้", validators=[Optional(), LONG])

    def validate_fiscal_year(self, field) -> None:
        try:  # required above, so never empty here
            field.data = str(parse_fiscal_year(field.data, clock.today()))
        except BadInput as err:
            raise ValidationError(err.thai) from err


class ActivityForm(ThaiForm):
    kind = SelectField("ประเภท", choices=dict(ACTIVITY_KINDS))
    number = StringField("ลำดับที่", validators=[Optional(), Length(max=10)])
    activity = TextAreaField("กิจกรรม", validators=[DataRequired(REQUIRED), LONG])
    method = TextAreaField("วิธีการสู่ความสำเร็จ", validators=[Optional(), LONG])
    period_text = StringField("ระยะเวลา", validators=[Optional(), Length(max=300)])
    indicator = TextAreaField("ตัวชี้วัด", validators=[Optional(), LONG])
    target_text = StringField("เป้าหมายตัวชี้วัด", validators=[Optional(), Length(max=1000)])
    target_group = StringField("กลุ่มเป้าหมาย", validators=[Optional(), Length(max=1000)])
    owner = StringField("ผู้รับผิดชอบ", validators=[Optional(), Length(max=1000)])
    evidence = TextAreaField("เอกสารที่แสดงผลสำเร็จของงาน", validators=[Optional(), LONG])
    status = SelectField("สถานะ", choices=dict(ACTIVITY_STATUSES))
    measure = SelectField("วัดผลโดย", choices={"": "— ให้ระบบเลือกจากตัวชี้วัด —",
                                               **{k: m.label for k, m in MEASURES.items()},
                                               MANUAL: "กรอกผลเอง พร้อมหลักฐาน"})
    manual_actual = StringField("ผลที่ได้ (กรอกเอง)", validators=[Optional(), Length(max=20)])
    manual_evidence = TextAreaField("หลักฐานของผลที่กรอกเอง", validators=[Optional(), LONG])

    def validate_manual_actual(self, field) -> None:
        thai_number(field, "ผลที่ได้ต้องเป็นตัวเลข เช่น ๖ หรือ 80.5")
