"""Reading a KM plan written like the tables in the real plans (``kmrepo import-plan``).

Pure functions on text, no database. What is read (docs/users/km-team.md, "Importing a
KM plan"):

- header lines "ชื่อองค์ความรู้ที่เลือก : …" (knowledge item), "เจ้าภาพผู้รับผิดชอบองค์ความรู้ : …"
  (owner unit), "ประเด็นยุทธศาสตร์ที่ : …", "เหตุผลที่เลือกองค์ความรู้ : …";
- tables of tab-separated rows under a header row naming the columns ("ที่ กิจกรรม… ระยะเวลา
  ตัวชี้วัด เป้าหมายตัวชี้วัด กลุ่มเป้าหมาย ผู้รับผิดชอบ เอกสาร…"); a table whose rows name
  "(CMP n)", or that follows a section line about change management
  (กระบวนการบริหารจัดการการเปลี่ยนแปลง), is the CMP table, any other the KMP table; a
  header repeated after a page break continues the table; a row that only says
  "ขั้นตอนที่ n" gives the rows below it KMP step n;
- a row numbered like the row before it (a row split across pages, like row ๑ of
  pathumthani-pao-2566-plan1-risk.txt) is merged into it, each cell once;
- a row that has no activity text, or fewer cells than the header, is reported with its
  line number and kept as text (:attr:`ParsedPlan.problems`), never lost.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..thai_dates import ARABIC_DIGITS
from ..thai_dates import fiscal_year as fiscal_year_of
from .targets import Period, Target, parse_period, parse_target

#: Header words → column, tried in order (the first that a header cell contains wins).
COLUMNS = (
    ("กลุ่มเป้าหมาย", "target_group"),
    ("เป้าหมาย", "target"),
    ("ตัวชี้วัด", "indicator"),
    ("วิธีการ", "method"),
    ("ระยะเวลา", "period"),
    ("ผู้รับผิดชอบ", "owner"),
    ("เอกสาร", "evidence"),
    ("หมายเหตุ", "note"),
    ("กิจกรรม", "activity"),
    ("ที่", "number"),
)
HEADER_FIELDS = {
    "ชื่อองค์ความรู้": "knowledge_item", "เจ้าภาพ": "owner", "ประเด็นยุทธศาสตร์": "strategic_issue",
    "เหตุผลที่เลือก": "reason",
}
_STEP = re.compile(r"\(\s*(KMP|CMP)\s*(\d)\s*\)", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2})?)\s*\.?\s*$")
#: A row that only names a KMP step ("ขั้นตอนที่ ๑ การบ่งชี้ความรู้", dla-2562.txt): its step
#: is that of the rows below it.
_STEP_ROW = re.compile(r"^ขั้นตอนที่\s*(\d)")
#: Section lines that say which table follows.
_CMP_SECTION = re.compile(r"บริหารจัดการการเปลี่ยนแปลง|บริหารการเปลี่ยนแปลง|Change Management", re.IGNORECASE)
_KMP_SECTION = re.compile(r"กระบวนการจัดการความรู้|กิจกรรมการจัดการความรู้|KM Process", re.IGNORECASE)


def step_named(text: str) -> tuple[str, int] | None:
    """``(kind, number)`` of the KMP step or CMP element an activity names, as the
    plans write it at its end ("(KMP 3)", "( CMP ๒ )": ``("kmp", 3)``, ``("cmp", 2)``),
    or None when it names none."""
    m = _STEP.search((text or "").translate(ARABIC_DIGITS))
    return (m.group(1).lower(), int(m.group(2))) if m else None


@dataclass(frozen=True)
class ParsedActivity:
    """One activity row: ``kind`` ``kmp`` or ``cmp``, ``number`` as numbered, ``step``
    the KMP step or CMP element named in it (None when it names none), the cells as
    text, and the parsed ``period`` and ``target``; ``line`` where it starts."""

    kind: str
    number: str
    step: int | None
    activity: str
    method: str
    period_text: str
    period: Period
    indicator: str
    target_text: str
    target: Target
    target_group: str
    owner: str
    evidence: str
    line: int


@dataclass
class ParsedPlan:
    """A plan as read: its header fields, ``fiscal_year`` (Buddhist Era; from the
    periods or the text, None when neither says), ``activities`` in order and
    ``problems`` as ``(line, text, reason)``."""

    title: str = ""
    fiscal_year: int | None = None
    knowledge_item: str = ""
    owner: str = ""
    strategic_issue: str = ""
    reason: str = ""
    activities: list[ParsedActivity] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """How many activities of ``kind`` (``kmp`` or ``cmp``)."""
        return sum(1 for a in self.activities if a.kind == kind)


def clean(text: str) -> str:
    """A cell as plain text: HTML tags and entities gone, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())


def _dedupe(text: str) -> str:
    """A cell whose halves repeat ("เม.ย. - พ.ค. ๒๕๖๖ เม.ย. - พ.ค. ๒๕๖๖", as page breaks copy
    them) said once."""
    words = text.split()
    n = len(words)
    if n % 2 == 0 and n and words[: n // 2] == words[n // 2 :]:
        return " ".join(words[: n // 2])
    return text


def _header_columns(cells: list[str]) -> dict[int, str] | None:
    """Column index → field of a header row, or None when ``cells`` is no header
    (a header names an activity and a period or indicator)."""
    columns: dict[int, str] = {}
    for i, cell in enumerate(cells):
        text = clean(cell).replace(" ", "")
        for word, name in COLUMNS:
            if word in text and name not in columns.values():
                columns[i] = name
                break
    names = set(columns.values())
    if "activity" in names and names & {"period", "indicator"} and len(names) >= 3:
        if 0 not in columns:
            columns[0] = "number"  # some page breaks repeat the header without "ที่"
        return columns
    return None


def parse_plan(text: str) -> ParsedPlan:
    """Read a KM plan (see the module docstring). Never raises for any text."""
    plan = ParsedPlan()
    lines = text.splitlines()
    plan.title = _title(lines)
    columns: dict[int, str] | None = None
    section = "kmp"
    step_row: int | None = None
    rows: list[dict] = []
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        text = clean(line)
        filled = [c for c in line.split("\t") if c.strip()]
        if len(filled) <= 1 and text and len(text) < 200 and "หมายถึง" not in text:
            if _CMP_SECTION.search(text):
                section = "cmp"
            elif _KMP_SECTION.search(text) and "CMP" not in text:
                section = "kmp"
        if "\t" not in line:
            if text and not columns:
                _header_field(plan, line)
            if line.startswith("#"):
                columns = None  # a new section ends the table
            continue
        cells = line.split("\t")
        header = _header_columns(cells)
        if header is not None:
            columns = header
            continue
        if columns is None or all(set(c.strip()) <= set("-") for c in cells):
            continue  # not in a table, or a Markdown rule line
        named = _STEP_ROW.match(clean(cells[0]).translate(ARABIC_DIGITS))
        if named and len(filled) == 1:
            step_row = int(named.group(1))
            continue
        row = {name: clean(cells[i]) if i < len(cells) else "" for i, name in columns.items()}
        row["line"] = no
        if len(cells) < len(columns) - 1 or not row.get("activity"):
            plan.problems.append((no, clean(line)[:500], "no activity text, or fewer cells than the header"))
            continue
        step = step_named(row["activity"])
        row["kind"] = step[0] if step else section
        row["step"] = step[1] if step else (step_row if section == "kmp" else None)
        m = _NUMBER.match(row.get("number", "").translate(ARABIC_DIGITS))
        row["number"] = m.group(1) if m else ""
        if rows and row["number"] and rows[-1]["number"] == row["number"] and rows[-1]["kind"] == row["kind"]:
            _merge(rows[-1], row)
        else:
            rows.append(row)
    plan.fiscal_year = _fiscal_year(text, rows)
    for row in rows:
        period_text = _dedupe(row.get("period", ""))
        target_text = row.get("target", "")
        plan.activities.append(ParsedActivity(
            kind=row["kind"], number=row["number"], step=row["step"], activity=row.get("activity", ""),
            method=row.get("method", ""), period_text=period_text,
            period=parse_period(period_text, plan.fiscal_year), indicator=row.get("indicator", ""),
            target_text=target_text, target=parse_target(target_text), target_group=row.get("target_group", ""),
            owner=row.get("owner", ""), evidence=row.get("evidence", ""), line=row["line"]))
    return plan


def _merge(into: dict, more: dict) -> None:
    """Put the cells of ``more`` (the rest of a row split by a page break) into ``into``,
    each text once."""
    for key, value in more.items():
        if key in ("line", "number", "kind", "step") or not value:
            continue
        old = into.get(key, "")
        if value not in old:
            into[key] = f"{old} {value}".strip() if old and old not in value else value


def _title(lines: list[str]) -> str:
    for line in lines:
        text = clean(line)
        if "แผนการจัดการความรู้" in text and len(text) < 300:
            return re.sub(r"^ตารางที่\s*\S+\s*", "", text).strip("# ")
    return next((clean(line) for line in lines if clean(line)), "")[:500]


def _header_field(plan: ParsedPlan, line: str) -> None:
    name, sep, value = clean(line).partition(":")
    if not sep:
        return
    for word, attr in HEADER_FIELDS.items():
        if word in name and not getattr(plan, attr):
            setattr(plan, attr, value.strip())


_FY_TEXT = re.compile(r"(?:ประจำ)?ปีงบประมาณ\s*(?:พ\.?\s*ศ\.?\s*)?([0-9๐-๙]{4})")


def _fiscal_year(text: str, rows: list[dict]) -> int | None:
    """The fiscal year the plan's dated periods fall in (the most common), else the
    first "ประจำปีงบประมาณ NNNN" or "ปีงบประมาณ NNNN" of the text."""
    years: dict[int, int] = {}
    for row in rows:
        period = parse_period(_dedupe(row.get("period", "")))
        if period.start is not None:
            fy = fiscal_year_of(period.end or period.start)
            years[fy] = years.get(fy, 0) + 1
    if years:
        return max(years, key=lambda y: (years[y], y))
    m = _FY_TEXT.search(text)
    return int(m.group(1).translate(ARABIC_DIGITS)) if m else None
