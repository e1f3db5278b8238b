"""Parsing what a user typed into the search box.

Syntax, as staff type it: words separated by spaces must all be found (in any order);
``"quoted words"`` must be found as a phrase; ``-word`` or ``-"a phrase"`` excludes
entries that contain it. Everything else is plain text: no field syntax, no operators
that could surprise a user typing Thai.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import normalize_text
from .segment import iter_tokens, segmenter, splits, words

# A chunk is an optional minus, then a quoted phrase (closing quote optional) or a word.
_CHUNK_RE = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class QueryPart:
    """One chunk of the query: ``text`` as typed (without quotes or minus).
    ``optional``: a question word (:data:`QUESTION_WORDS`), which raises the score of
    entries holding it (a question-and-answer entry asks the very question) but is not
    needed to match."""

    text: str
    phrase: bool = False
    excluded: bool = False
    optional: bool = False


#: Question words and polite particles, optional in a query typed as a question
#: ("ภาษีป้ายยื่นเมื่อไหร่", "ทำรั้วต้องขออนุญาตไหม", "ใช้เอกสารอะไรบ้าง ครับ"): most
#: entries answer a question without asking it, so requiring these words would push
#: the search to its some-words-only tier. Each is one word as the segmenter cuts it.
QUESTION_WORDS = frozenset({
    "อะไร", "ยังไง", "อย่างไร", "อย่างไรบ้าง", "ไง", "เมื่อไหร่", "เมื่อไร", "เมื่อใด", "ไหม", "มั้ย",
    "มั๊ย", "หรือไม่", "หรือเปล่า", "รึเปล่า", "เท่าไหร่", "เท่าไร", "เท่าใด", "ที่ไหน", "ที่ใด",
    "ทำไม", "กี่", "บ้าง", "ใคร", "ไหน", "ใด", "ครับ", "คับ", "คะ", "ค่ะ", "จ้ะ", "จ้า", "นะคะ", "นะครับ",
})


#: Words that glue a question together ("อบรมแล้วต้องทำอะไร", "เบิกค่าที่พักได้ไหม",
#: "KM คืออะไร", "อยากทราบขั้นตอนการขออนุญาต"): pronouns, modal and aspect words and
#: request phrases. Optional like :data:`QUESTION_WORDS`, but only in a query that is a
#: question (it has one of those, or asks with อยาก/ทราบ/ช่วย/หน่อย): elsewhere they may
#: be what is searched for ("ได้รับ", "ต้องห้าม" are words of their own anyway).
QUESTION_GLUE = frozenset({
    "แล้ว", "ต้อง", "จะ", "ควร", "ได้", "หน่อย", "ช่วย", "อยาก", "ทราบ", "บอก", "ผม", "ดิฉัน", "หนู",
    "เรา", "ฉัน", "คือ", "ว่า",
})
_ASKING = frozenset({"อยาก", "ทราบ", "ช่วย", "หน่อย"})


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query: the parts to find, the optional ones and the parts to exclude,
    in typed order."""

    raw: str
    parts: tuple[QueryPart, ...] = field(default_factory=tuple)

    @property
    def required(self) -> list[QueryPart]:
        """Parts that must match."""
        return [p for p in self.parts if not p.excluded and not p.optional]

    @property
    def optional(self) -> list[QueryPart]:
        """Parts that raise the score where found but need not match."""
        return [p for p in self.parts if p.optional]

    @property
    def excluded(self) -> list[QueryPart]:
        """Parts whose matches are removed from the results."""
        return [p for p in self.parts if p.excluded]

    @property
    def is_empty(self) -> bool:
        """True when nothing is required (an empty box, or only exclusions)."""
        return not self.required


def parse_query(raw: str) -> ParsedQuery:
    """Parse ``raw`` (any string, at most the first 500 characters are used).

    Curly quotes count as straight quotes. A lone ``-`` is ignored. Question words
    (:data:`QUESTION_WORDS`) in unquoted parts become optional parts of their own,
    unless nothing else would be left to find.

    >>> [(p.text, p.phrase, p.excluded) for p in parse_query('คู่มือ "ภาษีป้าย" -2565').parts]
    [('คู่มือ', False, False), ('ภาษีป้าย', True, False), ('2565', False, True)]
    """
    text = normalize_text(raw[:500]).replace("\n", " ")
    parts: list[QueryPart] = []
    for m in _CHUNK_RE.finditer(text):
        minus, quoted, word = m.groups()
        if quoted is not None:
            if quoted.strip():
                parts.append(QueryPart(quoted.strip(), phrase=True, excluded=bool(minus)))
        elif word is not None and word.strip("-"):
            parts.append(QueryPart(word, excluded=bool(minus)))
    return _question_words_optional(ParsedQuery(raw, tuple(parts)))


def _question_words_optional(parsed: ParsedQuery) -> ParsedQuery:
    """``parsed`` with each of :data:`QUESTION_WORDS` in its plain parts cut out into an
    optional part ("ภาษีป้ายยื่นเมื่อไหร่" → "ภาษีป้ายยื่น" + optional "เมื่อไหร่";
    "ภายในกี่วัน" → "ภายใน", optional "กี่", "วัน"), and in a question each of
    :data:`QUESTION_GLUE` too ("อบรมแล้วต้องทำอะไร" → "อบรม", "ทำ" required); or
    ``parsed`` itself when there are none or nothing else is left to find."""
    plain = [(part, list(iter_tokens(part.text)) if not (part.phrase or part.excluded) else None)
             for part in parsed.parts]
    typed = {tok.text for _, toks in plain for tok in toks or ()}
    optional = QUESTION_WORDS | QUESTION_GLUE if typed & (QUESTION_WORDS | _ASKING) else QUESTION_WORDS
    parts: list[QueryPart] = []
    for part, toks in plain:
        if toks is None:
            parts.append(part)
            continue
        last = 0
        for tok in toks:
            if tok.text in optional:
                if piece := part.text[last : tok.start].strip():
                    parts.append(QueryPart(piece))
                parts.append(QueryPart(part.text[tok.start : tok.end], optional=True))
                last = tok.end
        if piece := part.text[last:].strip():
            parts.append(QueryPart(piece))
    out = ParsedQuery(parsed.raw, tuple(parts))
    return out if out.optional and out.required else parsed


def can_relax(parsed: ParsedQuery) -> bool:
    """True when an any-word form of ``parsed`` could find more than the all-words one:
    several parts, or an unquoted part of several words."""
    required = parsed.required
    return len(required) > 1 or any(len(words(p.text)) > 1 and not p.phrase for p in required)


def split_compounds(parsed: ParsedQuery) -> ParsedQuery | None:
    """``parsed`` with each plain required part that is one dictionary compound read as
    the two words it is made of ("ป้ายโฆษณา" → "ป้าย โฆษณา", "สัญญาจ้าง" → "สัญญา จ้าง";
    :func:`indexer.segment.splits`, the most even split), or None when no part is such
    a compound. Backends search this, any word, when nothing at all matched ``parsed``:
    an entry about signboards is better than no answer to "ป้ายโฆษณา"."""
    dictionary = segmenter().dictionary
    parts: list[QueryPart] = []
    changed = False
    for part in parsed.parts:
        toks = words(part.text) if not (part.phrase or part.excluded or part.optional) else []
        pairs = splits(toks[0], dictionary) if len(toks) == 1 else []
        if pairs:
            a, b = max(pairs, key=lambda ab: min(len(ab[0]), len(ab[1])))
            part = QueryPart(f"{a} {b}")
            changed = True
        parts.append(part)
    return ParsedQuery(parsed.raw, tuple(parts)) if changed else None

