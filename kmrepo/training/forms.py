"""The training area's web forms (Flask-WTF: every form carries a CSRF token). Messages are Thai."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..accounts.forms import REQUIRED, MultiCheckboxField, ThaiDateField, ThaiForm, thai_number
from .models import REPORT_SECTIONS, TRAINING_KINDS


class RecordForm(ThaiForm):
    trainee = SelectField("ผู้เข้ารับการพัฒนา", coerce=int, choices=[])
    course = StringField("ชื่อหลักสูตร/เรื่อง", validators=[DataRequired(REQUIRED), Length(max=500)])
    kind = SelectField("ประเภท", choices=dict(TRAINING_KINDS))
    organiser = StringField("หน่วยงานผู้จัด", validators=[Optional(), Length(max=300)])
    place = StringField("สถานที่", validators=[Optional(), Length(max=300)])
    external = BooleanField("จัดโดยหน่วยงานภายนอก", default=True)
    starts_on = ThaiDateField("วันที่เริ่ม", validators=[Optional(), Length(max=40)])
    ends_on = ThaiDateField("วันที่สิ้นสุด", validators=[Optional(), Length(max=40)])
    returned_on = ThaiDateField("วันที่กลับ (เริ่มนับ ๑๕ วันจากวันถัดไป)", validators=[DataRequired(REQUIRED), Length(max=40)])
    cost = StringField("ค่าใช้จ่าย (บาท) — ไม่เผยแพร่", validators=[Optional(), Length(max=20)])
    knowledge_items = MultiCheckboxField("องค์ความรู้ที่เกี่ยวข้อง", coerce=int, choices=[])

    def validate_cost(self, field) -> None:
        thai_number(field, "ค่าใช้จ่ายต้องเป็นตัวเลข เช่น 3,500")
        if not 0 <= field.data < 10**9:
            raise ValidationError("ค่าใช้จ่ายไม่ถูกต้อง")


class ReportForm(ThaiForm):
    objectives = TextAreaField(REPORT_SECTIONS["objectives"], validators=[Optional(), Length(max=50_000)])
    content = TextAreaField(REPORT_SECTIONS["content"], validators=[Optional(), Length(max=50_000)])
    knowledge = TextAreaField(REPORT_SECTIONS["knowledge"], validators=[Optional(), Length(max=50_000)])
    application = TextAreaField(REPORT_SECTIONS["application"], validators=[Optional(), Length(max=50_000)])
    suggestions = TextAreaField(REPORT_SECTIONS["suggestions"], validators=[Optional(), Length(max=50_000)])
    internal_suggestions = BooleanField("ข้อเสนอแนะเป็นเรื่องภายใน ไม่เผยแพร่", default=True)


class DecisionForm(ThaiForm):
    comment = TextAreaField("ความเห็น", validators=[Optional(), Length(max=5000)])


class FollowUpForm(ThaiForm):
    assessment = TextAreaField("ผลการเปรียบเทียบการปฏิบัติงานก่อนและหลังการอบรม",
                               validators=[DataRequired(REQUIRED), Length(max=20_000)])


class DelegationForm(ThaiForm):
    approver = StringField("ผู้อนุมัติที่ไม่อยู่ (ชื่อผู้ใช้; เว้นว่าง = ตัวท่านเอง)", validators=[Optional(), Length(max=64)])
    acting = StringField("ผู้ปฏิบัติราชการแทน (ชื่อผู้ใช้)", validators=[DataRequired(REQUIRED), Length(max=64)])
    starts_on = ThaiDateField("ตั้งแต่วันที่", validators=[DataRequired(REQUIRED), Length(max=40)])
    ends_on = ThaiDateField("ถึงวันที่", validators=[DataRequired(REQUIRED), Length(max=40)])


class ChainForm(ThaiForm):
    unit = StringField("หน่วยงาน", validators=[DataRequired(REQUIRED), Length(max=200)])
    steps = TextAreaField("ลำดับผู้อนุมัติ บรรทัดละหนึ่งขั้น: ชื่อผู้ใช้ หรือ ตำแหน่ง (เช่น ปลัดเทศบาล)",
                          validators=[DataRequired(REQUIRED), Length(max=5000)])


class HolidayForm(ThaiForm):
    day = ThaiDateField("วันที่", validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField("ชื่อวันหยุด", validators=[Optional(), Length(max=200)])
