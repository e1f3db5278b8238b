"""The library area's web forms (Flask-WTF: every form carries a CSRF token). Messages are Thai."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from indexer.normalize import fold_digits as thai_to_arabic_digits

from ..accounts.forms import REQUIRED, MultiCheckboxField, ThaiDateField, ThaiForm
from .models import ENTRY_TYPES, KNOWLEDGE_KINDS, VISIBILITIES


class EntryForm(ThaiForm):
    title = StringField("ชื่อเรื่อง", validators=[DataRequired(REQUIRED), Length(max=500)])
    type = SelectField("ประเภท", choices=dict(ENTRY_TYPES))
    summary = TextAreaField("สรุปย่อ", validators=[Optional(), Length(max=2000)])
    body = TextAreaField("เนื้อหา (Markdown)", validators=[DataRequired(REQUIRED), Length(max=500_000)])
    tags = StringField("แท็ก (คั่นด้วยจุลภาค)", validators=[Optional(), Length(max=1000)])
    knowledge_items = MultiCheckboxField("องค์ความรู้", coerce=int, choices=[])
    department = SelectField("หน่วยงานเจ้าของ", coerce=int, choices=[])
    #: Empty: None. Not Optional(): it would stop before validate_fiscal_year and leave "" (PostgreSQL refused it).
    fiscal_year = StringField("ปีงบประมาณ (พ.ศ.)", validators=[Length(max=10)])
    visibility = SelectField("การเผยแพร่", choices=dict(VISIBILITIES))
    featured = BooleanField("แนะนำในมุม KM")
    note = StringField("บันทึกการแก้ไข (สั้น ๆ)", validators=[Optional(), Length(max=500)])
    #: The number of the newest revision when the editor was opened (optimistic locking).
    base_revision = HiddenField()
    review_by = ThaiDateField("ทบทวนเนื้อหาภายในวันที่ (เว้นว่าง = ตามประเภทเอกสาร)", validators=[Optional(), Length(max=40)])

    def validate_fiscal_year(self, field) -> None:
        value = thai_to_arabic_digits((field.data or "").strip())
        if not value:
            field.data = None
            return
        if not value.isdigit() or not 2500 <= int(value) <= 2700:
            raise ValidationError("ปีงบประมาณต้องเป็นปี พ.ศ. เช่น ๒๕๖๗ หรือ 2567")
        field.data = int(value)


class UploadForm(ThaiForm):
    file = FileField("ไฟล์แนบ", validators=[FileRequired("กรุณาเลือกไฟล์")])


TAG_TOO_LONG = "ชื่อแท็กยาวได้ไม่เกิน ๑๐๐ ตัวอักษร"


class KnowledgeItemForm(ThaiForm):
    name = StringField("ชื่อองค์ความรู้", validators=[DataRequired(REQUIRED),
                                                     Length(max=300, message="ชื่อยาวได้ไม่เกิน ๓๐๐ ตัวอักษร")])
    kind = SelectField("ประเภทความรู้", choices=dict(KNOWLEDGE_KINDS))
    owner = SelectField("หน่วยงานเจ้าภาพ", coerce=int, choices=[])
    strategic_issue = TextAreaField("ประเด็นยุทธศาสตร์", validators=[
        Optional(), Length(max=2000, message="ยาวได้ไม่เกิน ๒,๐๐๐ ตัวอักษร")])
    description = TextAreaField("คำอธิบาย", validators=[Optional(), Length(max=5000, message="ยาวได้ไม่เกิน ๕,๐๐๐ ตัวอักษร")])
    retired = BooleanField("เลิกใช้องค์ความรู้นี้ (เอกสารเดิมยังอยู่ แต่เลือกให้เอกสารใหม่ไม่ได้)")


class CommentForm(ThaiForm):
    body = TextAreaField("ความเห็น", validators=[DataRequired("กรุณาพิมพ์ความเห็น"),
                                                Length(max=2000, message="ความเห็นยาวได้ไม่เกิน ๒,๐๐๐ ตัวอักษร")])


class TagRenameForm(ThaiForm):
    name = StringField("แท็ก", validators=[DataRequired(REQUIRED), Length(max=100, message=TAG_TOO_LONG)])
    new_name = StringField("เปลี่ยนเป็น (ถ้ามีแท็กชื่อนี้อยู่แล้ว จะรวมเป็นแท็กเดียว)",
                           validators=[DataRequired(REQUIRED), Length(max=100, message=TAG_TOO_LONG)])


class PurgeForm(ThaiForm):
    days = StringField("ลบบันทึกที่เก่ากว่า (วัน)", validators=[DataRequired(REQUIRED), Length(max=6)])

    def validate_days(self, field) -> None:
        value = thai_to_arabic_digits((field.data or "").strip())
        if not value.isdigit() or int(value) < 1:
            raise ValidationError("กรุณาระบุจำนวนวันเป็นตัวเลขตั้งแต่ ๑ ขึ้นไป")
        field.data = int(value)
