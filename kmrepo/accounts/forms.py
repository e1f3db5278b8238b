"""The accounts area's web forms (Flask-WTF: every form carries a CSRF token). Messages are Thai."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..errors import BadInput
from ..thai_dates import ARABIC_DIGITS, parse_date
from .models import ROLES

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
    email = StringField("อีเมล (สำหรับการแจ้งเตือน)", validators=[Optional(), Length(max=254),
                                                                 Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="รูปแบบอีเมลไม่ถูกต้อง")])
    department = StringField("สังกัด (กอง/สำนัก)", validators=[Optional(), Length(max=200)])
    roles = MultiCheckboxField("บทบาท", choices=dict(ROLES))
    password = PasswordField("รหัสผ่านเริ่มต้น", validators=[Optional(), Length(max=200)])


def thai_number(field, message: str) -> None:
    """Validate a number field typed as offices type numbers (Thai or Arabic digits,
    thousands commas): its data becomes a float, or None when empty;
    ValidationError(``message``) otherwise."""
    text = (field.data or "").replace(",", "").strip().translate(ARABIC_DIGITS)
    if not text:
        field.data = None
        return
    try:
        field.data = float(text)
    except ValueError as err:
        raise ValidationError(message) from err




class ThaiDateField(StringField):
    """A date typed as offices type it (``1 มี.ค. 2570``, ``๑/๓/๒๕๗๐``, ``2027-03-01``);
    ``.date`` holds the parsed date after validation."""

    date = None

    def pre_validate(self, form) -> None:
        try:
            self.date = parse_date(self.data)
        except BadInput as err:
            raise ValidationError(err.thai) from err
