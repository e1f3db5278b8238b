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

#: WTForms' own messages, in Thai: what a validator or field says when a form gives none.
THAI_MESSAGES = {
    "This field is required.": REQUIRED,
    "Not a valid choice.": "ตัวเลือกไม่ถูกต้อง",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” ไม่ใช่ตัวเลือกของช่องนี้",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” ไม่ใช่ตัวเลือกของช่องนี้",
    "Invalid Choice: could not coerce.": "ตัวเลือกไม่ถูกต้อง",
    "Invalid choice(s): one or more data inputs could not be coerced.": "ตัวเลือกไม่ถูกต้อง",
    "Field cannot be longer than %(max)d character.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "Field cannot be longer than %(max)d characters.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "Field must be at least %(min)d character long.": "ต้องยาวอย่างน้อย %(min)d ตัวอักษร",
    "Field must be at least %(min)d characters long.": "ต้องยาวอย่างน้อย %(min)d ตัวอักษร",
    "Field must be between %(min)d and %(max)d characters long.": "ต้องยาว %(min)d ถึง %(max)d ตัวอักษร",
    "Field must be exactly %(max)d character long.": "ต้องยาว %(max)d ตัวอักษรพอดี",
    "Field must be exactly %(max)d characters long.": "ต้องยาว %(max)d ตัวอักษรพอดี",
    "Field must be equal to %(other_name)s.": "ต้องตรงกับช่อง %(other_name)s",
    "Invalid value, must be one of: %(values)s.": "ค่าต้องเป็นหนึ่งใน: %(values)s",
    "Invalid value, can't be any of: %(values)s.": "ค่าต้องไม่เป็น: %(values)s",
    "Invalid input.": "ข้อมูลไม่ถูกต้อง",
    "Invalid email address.": "อีเมลไม่ถูกต้อง",
    "Invalid URL.": "ที่อยู่เว็บ (URL) ไม่ถูกต้อง",
    "Not a valid integer value.": "ต้องเป็นจำนวนเต็ม",
    "Not a valid decimal value.": "ต้องเป็นตัวเลข",
    "Not a valid float value.": "ต้องเป็นตัวเลข",
    "Not a valid date value.": "วันที่ไม่ถูกต้อง",
    "Not a valid datetime value.": "วันเวลาไม่ถูกต้อง",
    "Number must be at least %(min)s.": "ต้องไม่น้อยกว่า %(min)s",
    "Number must be at most %(max)s.": "ต้องไม่มากกว่า %(max)s",
    "Number must be between %(min)s and %(max)s.": "ต้องอยู่ระหว่าง %(min)s ถึง %(max)s",
    "The CSRF token is missing.": "แบบฟอร์มหมดอายุหรือไม่สมบูรณ์ กรุณาเปิดหน้านี้ใหม่แล้วส่งอีกครั้ง",
    "The CSRF token has expired.": "แบบฟอร์มหมดอายุ กรุณาเปิดหน้านี้ใหม่แล้วส่งอีกครั้ง",
    "The CSRF token is invalid.": "แบบฟอร์มไม่ถูกต้อง กรุณาเปิดหน้านี้ใหม่แล้วส่งอีกครั้ง",
    "The CSRF tokens do not match.": "แบบฟอร์มไม่ถูกต้อง กรุณาเปิดหน้านี้ใหม่แล้วส่งอีกครั้ง",
}


class _ThaiTranslations:
    """WTForms' translations interface (``gettext``/``ngettext``) over :data:`THAI_MESSAGES`;
    a message with no Thai stays as it is."""

    def gettext(self, string: str) -> str:
        return THAI_MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return THAI_MESSAGES.get(singular if n == 1 else plural, singular if n == 1 else plural)


_CONTROLS = str.maketrans({c: " " for c in (*range(9), 11, 12, *range(14, 32), 127)})


def _no_controls(value):
    """Typed text without NUL or other control characters (tab and new lines kept): no
    database keeps a NUL, and none belongs in what people write."""
    return value.translate(_CONTROLS) if isinstance(value, str) else value


class ThaiForm(FlaskForm):
    """The base of every kmrepo form: Flask-WTF (a CSRF token on each), WTForms' own
    messages in Thai, and control characters taken out of every text typed."""

    class Meta:
        def get_translations(self, form):
            return _ThaiTranslations()

        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), _no_controls]
            return unbound_field.bind(form=form, filters=filters, **options)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(ThaiForm):
    username = StringField("ชื่อผู้ใช้", validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField("รหัสผ่าน", validators=[DataRequired(REQUIRED), Length(max=200)])
    next = HiddenField()


class PasswordForm(ThaiForm):
    current = PasswordField("รหัสผ่านปัจจุบัน", validators=[DataRequired(REQUIRED)])
    new = PasswordField("รหัสผ่านใหม่", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField(
        "ยืนยันรหัสผ่านใหม่", validators=[DataRequired(REQUIRED), EqualTo("new", "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน")]
    )


class UserForm(ThaiForm):
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
