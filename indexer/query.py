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
from .segment import words

# A chunk is an optional minus, then a quoted phrase (closing quote optional) or a word.
_CHUNK_RE = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class QueryPart:
    """One chunk of the query: ``text`` as typed (without quotes or minus)."""

    text: str
    phrase: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query: the parts to find and the parts to exclude, in typed order."""

    raw: str
    parts: tuple[QueryPart, ...] = field(default_factory=tuple)

    @property
    def required(self) -> list[QueryPart]:
        """Parts that must match."""
        return [p for p in self.parts if not p.excluded]

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

    Curly quotes count as straight quotes. A lone ``-`` is ignored.

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
    return ParsedQuery(raw, tuple(parts))


def can_relax(parsed: ParsedQuery) -> bool:
    """True when an any-word form of ``parsed`` could find more than the all-words one:
    several parts, or an unquoted part of several words."""
    required = parsed.required
    return len(required) > 1 or any(len(words(p.text)) > 1 and not p.phrase for p in required)
