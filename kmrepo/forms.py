"""Web forms (Flask-WTF: every form carries a CSRF token). Messages are Thai."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from indexer.normalize import fold_digits as thai_to_arabic_digits

from .models import ENTRY_TYPES, ROLES, VISIBILITIES

REQUIRED = "กรุณากรอกข้อมูลช่องนี้"


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField("ชื่อผู้ใช้", validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField("รหัสผ่าน", validators=[DataRequired(REQUIRED), Length(max=200)])
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField("รหัสผ่านปัจจุบัน", validators=[DataRequired(REQUIRED)])
    new = PasswordField("รหัสผ่านใหม่", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField(
        "ยืนยันรหัสผ่านใหม่", validators=[DataRequired(REQUIRED), EqualTo("new", "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน")]
    )


class UserForm(FlaskForm):
    """Create (with ``password``) or change an account."""

    username = StringField("ชื่อผู้ใช้", validators=[DataRequired(REQUIRED), Length(max=64)])
    full_name = StringField("ชื่อ–นามสกุล", validators=[DataRequired(REQUIRED), Length(max=200)])
    position = StringField("ตำแหน่ง", validators=[Optional(), Length(max=200)])
    department = StringField("สังกัด (กอง/สำนัก)", validators=[Optional(), Length(max=200)])
    roles = MultiCheckboxField("บทบาท", choices=dict(ROLES))
    password = PasswordField("รหัสผ่านเริ่มต้น", validators=[Optional(), Length(max=200)])


class EntryForm(FlaskForm):
    title = StringField("ชื่อเรื่อง", validators=[DataRequired(REQUIRED), Length(max=500)])
    type = SelectField("ประเภท", choices=dict(ENTRY_TYPES))
    summary = TextAreaField("สรุปย่อ", validators=[Optional(), Length(max=2000)])
    body = TextAreaField("เนื้อหา (Markdown)", validators=[DataRequired(REQUIRED), Length(max=500_000)])
    tags = StringField("แท็ก (คั่นด้วยจุลภาค)", validators=[Optional(), Length(max=1000)])
    knowledge_items = MultiCheckboxField("องค์ความรู้", coerce=int, choices=[])
    department = SelectField("หน่วยงานเจ้าของ", coerce=int, choices=[])
    fiscal_year = StringField("ปีงบประมาณ (พ.ศ.)", validators=[Optional(), Length(max=10)])
    visibility = SelectField("การเผยแพร่", choices=dict(VISIBILITIES))
    featured = BooleanField("แนะนำในมุม KM")

    def validate_fiscal_year(self, field) -> None:
        value = thai_to_arabic_digits((field.data or "").strip())
        if not value:
            field.data = None
            return
        if not value.isdigit() or not 2500 <= int(value) <= 2700:
            raise ValidationError("ปีงบประมาณต้องเป็นปี พ.ศ. เช่น ๒๕๖๗ หรือ 2567")
        field.data = int(value)


class UploadForm(FlaskForm):
    file = FileField("ไฟล์แนบ", validators=[FileRequired("กรุณาเลือกไฟล์")])


class PurgeForm(FlaskForm):
    days = StringField("ลบบันทึกที่เก่ากว่า (วัน)", validators=[DataRequired(REQUIRED), Length(max=6)])

    def validate_days(self, field) -> None:
        value = thai_to_arabic_digits((field.data or "").strip())
        if not value.isdigit() or int(value) < 1:
            raise ValidationError("กรุณาระบุจำนวนวันเป็นตัวเลขตั้งแต่ ๑ ขึ้นไป")
        field.data = int(value)

