"""Text normalisation that keeps track of where every character came from.

Search must treat "๑๕ วัน" and "15 วัน" alike, ignore zero-width characters pasted from
Word or PDF, and fold Latin case, yet highlight the words of the *original* text. So every
normalisation here returns the normalised string together with an offset map: for each
character of the result, the index of the character of the input it came from.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

# Thai digits ๐-๙ (U+0E50..U+0E59) → 0-9. Mixed digits appear inside one number in the
# real plans ("พ.ศ. ๒๕4๖", banmai-municipality.txt §1), so the mapping is per character.
_THAI_DIGITS = {0x0E50 + i: str(i) for i in range(10)}

# Characters that carry no meaning for search: zero-width space/joiners, BOM, soft hyphen,
# word joiner. They arrive with text pasted from Word and PDF files.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_INVISIBLE_RE = re.compile("[" + "".join(sorted(_INVISIBLE)) + "]")

# Thai marks written above or below a letter (MAI HAN-AKAT, SARA I … PHINTHU, MAITAIKHU …
# YAMAKKAN). Typed twice they stack on screen and look like one ("ให้้", in
# pathumthani-pao-2566-plan1-risk.txt), so a doubled mark is read as one.
_MARKS = "".join(chr(c) for c in [0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)])
_TONES = "\u0e48-\u0e4b"

# Thai typing defects repaired in one pass (documents and queries alike):
#   1. a doubled mark (see _MARKS);
#   2. NIKHAHIT, optionally a tone mark, SARA AA → the tone mark and SARA AM ("นํ้า" → "น้ำ"),
#      how PDF extraction and some fonts split SARA AM;
#   3. SARA E typed twice for SARA AE ("เเผน" → "แผน"), which many fonts draw alike, except
#      before a vowel that SARA AE never takes (ิ ี ึ ื า): there the second SARA E is a
#      slip ("คนเเดียว" → "คนเดียว", banmai-municipality.txt).
_TYPING_RE = re.compile(
    f"(?P<mark>[{_MARKS}])(?P=mark)+"
    f"|\u0e4d(?P<tone>[{_TONES}]?)\u0e32"
    f"|(?P<e>\u0e40)\u0e40(?=[\u0e01-\u0e2e][\u0e23\u0e25\u0e27]?[{_TONES}\u0e47]?[\u0e34-\u0e37\u0e32])"
    "|\u0e40\u0e40"
)


# What :data:`_TYPING_RE` can match starts with one of these pairs: looking for them with
# ``in`` is several times faster than running the expression over text that needs nothing.
_TYPING_PAIRS = (*(m * 2 for m in _MARKS if m != "\u0e4d"), "\u0e4d", "\u0e40\u0e40")


_TYPING_PAIRS_RE = re.compile("|".join(map(re.escape, _TYPING_PAIRS)))


def needs_typing_repair(text: str) -> bool:
    """True when ``text`` holds a typing slip :func:`normalize` repairs (a quick check:
    one pass of a plain alternation, twice as fast as looking for each pair)."""
    return _TYPING_PAIRS_RE.search(text) is not None


def _typing_rep(m: re.Match) -> str:
    if m.group("mark"):
        return m.group("mark")
    if m.group(0)[0] == "\u0e4d":
        return m.group("tone") + "\u0e33"
    return "\u0e40" if m.group("e") else "\u0e41"


def _repair_typing(text: str) -> tuple[str, list[int] | None]:
    """``text`` with :data:`_TYPING_RE` repaired, and the source offset of each character
    of the result (None when nothing changed)."""
    out: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _TYPING_RE.finditer(text):
        out.append(text[last : m.start()])
        origin.extend(range(last, m.start()))
        rep = _typing_rep(m)
        out.append(rep)
        # SARA AE maps to the first SARA E, where a word can start; a mark or SARA AM to
        # the last character of its match, where a word can end, so highlights cover it.
        if rep == "\u0e41" or rep == "\u0e40":
            origin.append(m.start())
        else:
            origin.extend(range(m.end() - len(rep), m.end()))
        last = m.end()
    if not out:
        return text, None
    out.append(text[last:])
    origin.extend(range(last, len(text)))
    return "".join(out), origin


# Curly quotes and dashes are folded to their ASCII forms so "ถาม–ตอบ" equals "ถาม-ตอบ".
_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
}


@dataclass(frozen=True)
class Normalized:
    """A normalised string and, for each of its characters, the offset in the source.

    ``origin`` has ``len(text) + 1`` items: ``origin[i]`` is the source offset of
    ``text[i]`` and the last item is the length of the source. Use :meth:`source_span`
    to map a token back to the source.
    """

    text: str
    origin: Sequence[int]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span ``[start, end)`` of ``text`` to the source string.

        The end is the offset just past the last source character that produced
        ``text[end - 1]``, so a highlighted span never swallows a following space.
        """
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


def fold_digits(text: str) -> str:
    """Return ``text`` with Thai digits replaced by Arabic digits ("๒๕๖๖" → "2566")."""
    return text.translate(_THAI_DIGITS)


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for indexing and querying, keeping an offset map.

    Steps, applied alike to documents and queries: Unicode NFC; Thai typing defects
    repaired (:data:`_TYPING_RE`: a doubled mark, SARA AM split into NIKHAHIT + SARA AA,
    SARA E typed twice for SARA AE); Thai → Arabic digits; invisible characters removed;
    every kind of space (no-break, thin, ideographic …) turned into a plain space; curly
    quotes and dashes folded; letters lower-cased (as ``str.lower`` does, which is what
    :func:`normalize_text` gives the index).

    Returns a :class:`Normalized`; never raises for any ``str`` input.
    """
    walk, walk_origin = text, None
    if not text.isascii():
        # NFC, then the typing repairs, each with its offset map when it changes the length
        # (NFC of Thai text never does in practice).
        composed = unicodedata.normalize("NFC", text)
        if len(composed) != len(text):
            walk, walk_origin = composed, _nfc_origin(text, composed)
        else:
            walk = composed
        repaired, repaired_origin = _repair_typing(walk) if needs_typing_repair(walk) else (walk, None)
        if repaired_origin is not None:
            walk = repaired
            walk_origin = (repaired_origin if walk_origin is None
                           else [walk_origin[i] for i in repaired_origin])

    # Every step but the removal of invisible characters maps one character to one:
    # done with str methods, in C (a loop over the characters of each snippet's window
    # was a fifth of a search), and the offsets are then those of ``walk``.
    kept = [i for i, ch in enumerate(walk) if ch not in _INVISIBLE] if _INVISIBLE_RE.search(walk) else None
    visible = walk if kept is None else "".join(walk[i] for i in kept)
    folded = _FAST_RE.sub(_fast_rep, visible)
    lowered = folded.lower()  # as normalize_text does, on the whole text (final sigma)
    if kept is None:
        kept = range(len(walk))
    if len(lowered) != len(folded):  # a letter whose lower case is longer ("İ"): one at a time
        lowered = "".join(ch.lower() for ch in folded)
        kept = [i for i, ch in zip(kept, folded, strict=True) for _ in ch.lower()]
    start = kept if walk_origin is None else [walk_origin[i] for i in kept]
    return Normalized(lowered, (*start, len(text)))


def _fast_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(ch): None for ch in _INVISIBLE}
    table.update(_THAI_DIGITS)
    table.update({ord(k): v for k, v in _FOLD.items()})
    for code in range(0x3001):
        ch = chr(code)
        if ch.isspace():
            table[code] = "\n" if ch in "\n\r" else " "
    return table


# The characters :func:`normalize_text` replaces, found with one regular expression: in
# Thai text ``str.translate`` looks up every character (5x slower, for 2% of them).
_FAST = {chr(code): rep or "" for code, rep in _fast_table().items() if rep != chr(code)}
_FAST_RE = re.compile("[" + "".join(map(re.escape, _FAST)) + "]")


def _fast_rep(m: re.Match) -> str:
    return _FAST[m.group()]


def normalize_text(text: str) -> str:
    """Normalise ``text`` like :func:`normalize` but return only the string.

    The same steps done with ``str`` methods, without the offset map: several times
    faster, for indexing and queries (where no offsets are needed).
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if needs_typing_repair(text):
            text = _TYPING_RE.sub(_typing_rep, text)
    text = _FAST_RE.sub(_fast_rep, text)
    return text.lower() if not text.islower() else text


def _fold_table() -> dict[int, str]:
    table = {code: rep for code, rep in _fast_table().items() if rep is not None and len(rep) == 1}
    table.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    return table


_FOLD_TABLE = _fold_table()
_FOLD_CHANGES = {chr(code): rep for code, rep in _FOLD_TABLE.items() if chr(code) != rep and not "A" <= rep <= "z"}
_FOLD_RE = re.compile("[" + "".join(map(re.escape, _FOLD_CHANGES)) + "]")


def _fold_rep(m: re.Match) -> str:
    return _FOLD_CHANGES[m.group()]


@dataclass(frozen=True)
class Folded:
    """A text normalised by :func:`fold`, with what maps its offsets back to the
    source: ``starts[k]`` is the first offset of ``text`` that the ``k``-th typing
    repair shifted by ``shifts[k]`` characters (both empty when nothing was repaired)."""

    text: str
    starts: tuple[int, ...] = ()
    shifts: tuple[int, ...] = ()

    def source(self, i: int) -> int:
        """The source offset of ``text[i]``."""
        k = bisect_right(self.starts, i) - 1
        return i + self.shifts[k] if k >= 0 else i


def fold(text: str) -> Folded:
    """``text`` normalised as :func:`normalize` normalises it, but for invisible
    characters and NFC, with C-speed ``str`` methods instead of a walk over every
    character: typing slips repaired, Thai → Arabic digits, spaces, curly quotes and
    dashes folded, A–Z lower-cased. Only the repairs change the length, and
    :meth:`Folded.source` maps an offset back through them: a cheap way to find where
    normalised words stand in a long text before analysing a small part of it exactly
    (:func:`indexer.snippets.best_snippet`)."""
    starts: list[int] = []
    shifts: list[int] = []
    if needs_typing_repair(text):
        parts, last, removed = [], 0, 0
        for m in _TYPING_RE.finditer(text):
            rep = _typing_rep(m)
            parts += [text[last : m.start()], rep]
            removed += len(m.group()) - len(rep)
            starts.append(m.end() - removed)
            shifts.append(removed)
            last = m.end()
        text = "".join(parts) + text[last:]
    folded = _FOLD_RE.sub(_fold_rep, text).lower()  # 4x faster than str.translate on Thai text
    if len(folded) != len(text):  # a letter whose lower case is longer ("İ"): one for one
        folded = text.translate(_FOLD_TABLE)
    return Folded(folded, tuple(starts), tuple(shifts))


def _nfc_origin(source: str, composed: str) -> list[int]:
    """Best-effort offset map from an NFC-composed string back to its source.

    Composes the source one grapheme-ish chunk at a time (a base character and its
    combining marks), which is exact for every string whose composition does not
    cross base characters, i.e. all real text.
    """
    origin: list[int] = []
    chunk_start = 0
    for i in range(1, len(source) + 1):
        if i == len(source) or unicodedata.combining(source[i]) == 0:
            piece = unicodedata.normalize("NFC", source[chunk_start:i])
            origin.extend([chunk_start] * len(piece))
            chunk_start = i
    if len(origin) != len(composed):  # pragma: no cover - defensive
        origin = [min(i, len(source) - 1) for i in range(len(composed))]
    return origin
