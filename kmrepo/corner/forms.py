"""The KM corner's forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.forms import ThaiForm

REQUIRED = "กรุณากรอกข้อมูลช่องนี้"


class UnitForm(ThaiForm):
    name = StringField("ชื่อหน่วยงาน", validators=[DataRequired(REQUIRED),
                                                 Length(max=200, message="ชื่อยาวได้ไม่เกิน ๒๐๐ ตัวอักษร")])


class CornerAddForm(ThaiForm):
    slug = StringField("เอกสาร", validators=[DataRequired(REQUIRED), Length(max=200)])
    unit = SelectField("มุม KM ของ", coerce=int, default=0)
    note = StringField("คำแนะนำสั้น ๆ จากทีมงาน KM",
                       validators=[Optional(), Length(max=500, message="คำแนะนำยาวได้ไม่เกิน ๕๐๐ ตัวอักษร")])
