"""Reading what KM plans write: targets ("อย่างน้อย ๖ ครั้ง") and periods ("ม.ค. - มี.ค. ๒๕๖๖").

Pure functions on text, no database. The shapes are those of the five real plans
(docs/users/km-team.md, "Importing a KM plan"). What cannot be read is said so (a target
with no value, a period with no dates) and kept as the plan wrote it, for a person.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ..thai_dates import ARABIC_DIGITS, BE_OFFSET, MONTHS, MONTHS_ABBR, fiscal_year_bounds

#: Units plans count in → (key, Thai label). Order matters: the longest words first.
UNITS = (
    ("องค์ความรู้", "knowledge items", "องค์ความรู้"),
    ("องค์กรความรู้", "knowledge items", "องค์ความรู้"),  # a typing slip in plan1-risk
    ("ครั้ง", "times", "ครั้ง"),
    ("เรื่อง", "items", "เรื่อง"),
    ("รายการ", "items", "รายการ"),
    ("ช่องทาง", "channels", "ช่องทาง"),
    ("ชุด", "sets", "ชุด"),
    ("ฉบับ", "documents", "ฉบับ"),
    ("คน", "people", "คน"),
    ("ราย", "people", "ราย"),
    ("หน่วยงาน", "units", "หน่วยงาน"),
    ("ตัวอย่าง", "examples", "ตัวอย่าง"),
    ("ความรู้", "knowledge items", "ความรู้"),
)
_UNIT_WORDS = "|".join(re.escape(word) for word, _, _ in UNITS)
_AT_LEAST = r"อย่างน้อย(?:กว่า)?|ไม่น้อยกว่า|ไม่ต่ำกว่า|ขั้นต่ำ|มากกว่า"
_AT_MOST = r"ไม่เกิน|ไม่มากกว่า|น้อยกว่า"
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_PERCENT = re.compile(rf"(?:({_AT_LEAST}|{_AT_MOST})\s*)?ร้อยละ\s*{_NUMBER}|(?:({_AT_LEAST}|{_AT_MOST})\s*)?{_NUMBER}\s*%")
_COUNT = re.compile(rf"(?:({_AT_LEAST}|{_AT_MOST})\s*(?:จำนวน\s*)?)?{_NUMBER}\s*({_UNIT_WORDS})")
_BARE = re.compile(rf"({_AT_LEAST}|{_AT_MOST})\s*{_NUMBER}")


@dataclass(frozen=True)
class Target:
    """A parsed target: ``comparator`` ``>=``, ``<=`` or ``=``; ``value`` (None when the
    text says no number a person would count by); ``unit`` a key ("percent", "times",
    "items", …; "" when the text names none) and ``unit_label`` its Thai word."""

    comparator: str
    value: float | None
    unit: str
    unit_label: str

    @property
    def parsed(self) -> bool:
        """Whether a number was read (False: a person must set it)."""
        return self.value is not None

    def met_by(self, actual: float | None) -> bool | None:
        """Whether ``actual`` meets the target (None when either is unknown). "=" reads
        as "at least": a plan's "๑ เรื่อง" is met by two."""
        if actual is None or self.value is None:
            return None
        return actual <= self.value if self.comparator == "<=" else actual >= self.value


def _comparator(word: str | None) -> str:
    if not word:
        return "="
    return "<=" if re.fullmatch(_AT_MOST, word) else ">="


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse_target(text: str) -> Target:
    """Read a plan's target text.

    >>> parse_target("- มีจำนวนการเข้าถึงข้อมูลฐานข้อมูลความรู้ด้านต่างๆ อย่างน้อย ๖ ครั้ง")
    Target(comparator='>=', value=6.0, unit='times', unit_label='ครั้ง')
    >>> parse_target("อย่างน้อยร้อยละ ๘๐").value, parse_target("ร้อยละ ๘๐").unit
    (80.0, 'percent')
    >>> parse_target("ไม่น้อยกว่า ๓ องค์ความรู้")
    Target(comparator='>=', value=3.0, unit='knowledge items', unit_label='องค์ความรู้')
    >>> parse_target("- มีคำสั่งแต่งตั้งคณะทำงาน").parsed
    False
    """
    flat = " ".join(re.sub(r"<[^>]+>", " ", text or "").translate(ARABIC_DIGITS).split())
    found = []
    for m in _PERCENT.finditer(flat):
        word = m.group(1) or m.group(3)
        found.append((m.start(), Target(_comparator(word), _number(m.group(2) or m.group(4)), "percent", "ร้อยละ")))
    for m in _COUNT.finditer(flat):
        key, label = next((k, label) for w, k, label in UNITS if w == m.group(3))
        found.append((m.start(), Target(_comparator(m.group(1)), _number(m.group(2)), key, label)))
    if not found:
        m = _BARE.search(flat)
        if m:
            found.append((m.start(), Target(_comparator(m.group(1)), _number(m.group(2)), "", "")))
    if not found:
        return Target("", None, "", "")
    # Several numbers: the one with a comparator word before it, else the first.
    found.sort(key=lambda item: (item[1].comparator == "=", item[0]))
    return found[0][1]


# -- periods ---------------------------------------------------------------------------------

_MONTH_NAMES = sorted(
    [(name.replace(".", ""), i) for i, name in enumerate(MONTHS_ABBR, 1)]
    + [(name, i) for i, name in enumerate(MONTHS, 1)] + [("มีย", 6)],
    key=lambda item: -len(item[0]))
_MONTH_RE = "|".join(re.escape(name) for name, _ in _MONTH_NAMES)
_MONTH_OF = dict(_MONTH_NAMES)
_YEAR = r"(?:พ\s*\.?\s*ศ\s*\.?\s*)?(\d{4}|\d{2})"
_MONTH_YEAR = re.compile(rf"(?:เดือน\s*)?({_MONTH_RE})\s*(?:{_YEAR})?")
_FY = re.compile(rf"ปีงบประมาณ\s*{_YEAR}")
_ONWARDS = re.compile(r"เป็นต้นไป|ต่อเนื่อง|ตลอดปี")


@dataclass(frozen=True)
class Period:
    """A period as plans write it: ``start`` and ``end`` (inclusive dates; ``end`` None
    when open-ended, "onwards"); both None when the text names no date."""

    start: date | None
    end: date | None

    @property
    def parsed(self) -> bool:
        return self.start is not None


def _year(text: str) -> int:
    year = int(text)
    year = year + 2500 if year < 100 else year
    return year - BE_OFFSET if year >= 2400 else year


def parse_period(text: str, fiscal_year: int | None = None) -> Period:
    """Read a plan's period ("ม.ค. - มี.ค. ๒๕๖๖", "ก.ค. ๒๕๖๖ เป็นต้นไป", "ปีงบประมาณ ๒๕๖๖",
    "ต.ค. ๒๕๖๕ - ก.ย. ๒๕๖๖", "ภายในเดือนม.ค. ๒๕๖๖"); a month without a year takes the
    next year written, else ``fiscal_year``'s (October–December in its first calendar
    year). "เป็นต้นไป" (onwards) leaves ``end`` None.

    >>> parse_period("ม.ค. - มี.ค. ๒๕๖๖")
    Period(start=datetime.date(2023, 1, 1), end=datetime.date(2023, 3, 31))
    >>> parse_period("ก.ค. ๒๕๖๖ เป็นต้นไป")
    Period(start=datetime.date(2023, 7, 1), end=None)
    """
    flat = " ".join(re.sub(r"<[^>]+>", " ", text or "").translate(ARABIC_DIGITS).replace(".", "").split())
    onwards = bool(_ONWARDS.search(flat))
    fy = _FY.search(flat)
    months = [(m.start(), _MONTH_OF[m.group(1)], m.group(2)) for m in _MONTH_YEAR.finditer(flat)]
    if not months:
        if fy:
            digits = fy.group(1)
            first, last = fiscal_year_bounds(int(digits) if len(digits) == 4 else 2500 + int(digits))
            return Period(first, None if onwards else last)
        return Period(None, None)
    # Each month takes the year written after it (the next one along), else the fiscal year's.
    dated: list[tuple[int, int]] = []
    for i, (_pos, month, year) in enumerate(months):
        later = next((y for _, _, y in months[i:] if y), None)
        if later:
            ce = _year(later)
            # "ต.ค. - มี.ค. 2566": October comes before a March of the year written
            later_month = next(mm for _, mm, y in months[i:] if y)
            if not year and month > later_month:
                ce -= 1
        elif fiscal_year:
            ce = fiscal_year - BE_OFFSET - (1 if month >= 10 else 0)
        else:
            return Period(None, None)
        dated.append((ce, month))
    dated = dated[:1] + dated[-1:] if len(dated) > 1 else dated
    (y1, m1), (y2, m2) = dated[0], dated[-1]
    start = date(y1, m1, 1)
    end = date(y2, m2, calendar.monthrange(y2, m2)[1])
    if onwards and len(months) == 1:
        return Period(start, None)
    return Period(start, end)
