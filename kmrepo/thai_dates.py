"""Thai calendar rules: Buddhist Era years, fiscal years, Thai month names.

Source: docs/domain.md, "Dates": พ.ศ. = CE + 543; the fiscal year
(ปีงบประมาณ) runs 1 October – 30 September and is named by the year it ends.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

BE_OFFSET = 543
#: Thai local time (UTC+7, no daylight saving): the clock fiscal-year boundaries follow.
THAI_TZ = timezone(timedelta(hours=7), "Asia/Bangkok")

MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
          "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
MONTHS_ABBR = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
               "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
#: ``str.translate`` table: Thai digits to Arabic ("๒๕๗๐" → "2570"), for numbers as typed.
ARABIC_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def to_thai_time(moment: datetime) -> datetime:
    """Convert ``moment`` to Thai time; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(THAI_TZ)


def fiscal_year(day: date | datetime) -> int:
    """The Buddhist Era fiscal year containing ``day`` (a datetime is read in Thai time).

    >>> fiscal_year(date(2026, 10, 1)), fiscal_year(date(2027, 9, 30))
    (2570, 2570)
    """
    if isinstance(day, datetime):
        day = to_thai_time(day).date()
    return day.year + BE_OFFSET + (1 if day.month >= 10 else 0)


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day (inclusive) of Buddhist Era fiscal year ``fy``.

    >>> fiscal_year_bounds(2570)
    (datetime.date(2026, 10, 1), datetime.date(2027, 9, 30))
    """
    ce_end = fy - BE_OFFSET
    return date(ce_end - 1, 10, 1), date(ce_end, 9, 30)


def fiscal_year_span(fy: int) -> tuple[datetime, datetime]:
    """``[start, end)`` of Buddhist Era fiscal year ``fy`` as aware UTC moments: from
    1 October 00:00 to the next 1 October 00:00, Thai time (for ``start <= t < end``)."""
    first, last = fiscal_year_bounds(fy)
    start = datetime(first.year, first.month, first.day, tzinfo=THAI_TZ)
    end = datetime(last.year, last.month, last.day, tzinfo=THAI_TZ) + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_fiscal_year(typed: str | None, today: date) -> int:
    """A Buddhist Era fiscal year as typed (Thai or Arabic digits, "2570" or "๒๕๗๐"); the
    fiscal year of ``today`` when empty. :class:`~kmrepo.errors.BadInput` for anything
    that is not a year from 2400 to 2700."""
    from .errors import BadInput

    text = (typed or "").strip().translate(ARABIC_DIGITS)
    if not text:
        return fiscal_year(today)
    if text.isascii() and text.isdigit() and len(text) == 4 and 2400 <= int(text) <= 2700:
        return int(text)
    raise BadInput(f"fiscal year {text[:20]!r} is not a Buddhist Era year such as 2570",
                   "ปีงบประมาณต้องเป็นปี พ.ศ. เช่น ๒๕๗๐ หรือ 2570")




def thai_digits(value: object) -> str:
    """``str(value)`` with Arabic digits written as Thai digits ("2567" → "๒๕๖๗")."""
    return str(value).translate(_THAI_DIGITS)


def format_thai_date(moment: date | datetime | None, short: bool = False, with_time: bool = False) -> str:
    """A date as Thai readers write it: "20 พฤศจิกายน 2569" (or "20 พ.ย. 2569" when
    ``short``), Buddhist Era year; datetimes are shown in Thai time. None → "".
    """
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = to_thai_time(moment)
    months = MONTHS_ABBR if short else MONTHS
    text = f"{moment.day} {months[moment.month - 1]} {moment.year + BE_OFFSET}"
    if with_time and isinstance(moment, datetime):
        text += f" เวลา {moment:%H:%M} น."
    return text


_THAI_MONTHS = {name.replace(".", ""): i for i, name in enumerate(MONTHS_ABBR, 1)}
_THAI_MONTHS.update({name: i for i, name in enumerate(MONTHS, 1)})
_THAI_MONTHS["มีย"] = 6  # a common misspelling of มิ.ย.
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[\s/.-]*([^\d\s/.-][^\d]*?|\d{1,2})[\s/.-]*(\d{2,4})$")


def parse_date(text: str | date | None) -> date | None:
    """A date as offices write it: ISO (``2027-03-01``), or day month year with the
    month as a number or a Thai name (``1 มี.ค. 2570``, ``๑/๓/๒๕๗๐``, ``1 มีนาคม 70``), the
    year in the Buddhist Era (two digits are 25xx) or, when below 2400, the Christian
    era. None for empty input; BadInput for anything else."""
    from .errors import BadInput

    if text is None or text == "":
        return None
    if isinstance(text, date):
        return text
    raw = " ".join(str(text).translate(ARABIC_DIGITS).split())
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    m = _DAY_MONTH_YEAR.match(raw)
    if m:
        day, month_text, year_text = m.groups()
        month_key = month_text.replace(".", "").replace(" ", "")
        month = int(month_key) if month_key.isdigit() else _THAI_MONTHS.get(month_key)
        year = int(year_text)
        year = year + 2500 if year < 100 else year
        year = year - BE_OFFSET if year >= 2400 else year
        try:
            if month:
                return date(year, month, int(day))
        except ValueError:
            pass
    raise BadInput(f"{str(text)[:40]!r} is not a date (use 2027-03-01 or 1 มี.ค. 2570)",
                   f"“{str(text)[:40]}” ไม่ใช่วันที่ที่อ่านได้ (เช่น 1 มี.ค. 2570 หรือ 2027-03-01)")
