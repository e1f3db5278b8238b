"""Text normalisation that keeps track of where every character came from.

Search must treat "๑๕ วัน" and "15 วัน" alike, ignore zero-width characters pasted from
Word or PDF, and fold Latin case, yet highlight the words of the *original* text. So every
normalisation here returns the normalised string together with an offset map: for each
character of the result, the index of the character of the input it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Thai digits ๐-๙ (U+0E50..U+0E59) → 0-9. Mixed digits appear inside one number in the
# real plans ("พ.ศ. ๒๕4๖", banmai-municipality.txt §1), so the mapping is per character.
_THAI_DIGITS = {0x0E50 + i: str(i) for i in range(10)}

# Characters that carry no meaning for search: zero-width space/joiners, BOM, soft hyphen,
# word joiner. They arrive with text pasted from Word and PDF files.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")

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

    Steps, applied alike to documents and queries: Unicode NFC, NIKHAHIT + SARA AA
    (U+0E4D U+0E32) → SARA AM (U+0E33), Thai → Arabic digits, invisible characters removed, every kind of space (no-break,
    thin, ideographic …) turned into a plain space, curly quotes and dashes folded,
    Latin letters lower-cased.

    Returns a :class:`Normalized`; never raises for any ``str`` input.
    """
    if not text.isascii():
        # NFC first, then walk the result: NFC of Thai text never changes its length in
        # practice, but if it does we fall back to mapping through the composed string.
        composed = unicodedata.normalize("NFC", text)
        if len(composed) == len(text):
            text_for_walk, base_origin = composed, None
        else:
            text_for_walk, base_origin = composed, _nfc_origin(text, composed)
    else:
        text_for_walk, base_origin = text, None

    out: list[str] = []
    origin: list[int] = []
    skip_next = False
    for i, ch in enumerate(text_for_walk):
        if skip_next:
            skip_next = False
            continue
        src = i if base_origin is None else base_origin[i]
        if ch in _INVISIBLE:
            continue
        code = ord(ch)
        if ch == "\u0e4d" and text_for_walk[i + 1 : i + 2] == "\u0e32":
            # NIKHAHIT + SARA AA typed as two characters is SARA AM.
            rep, skip_next = "\u0e33", True
        elif code in _THAI_DIGITS:
            rep = _THAI_DIGITS[code]
        elif ch in _FOLD:
            rep = _FOLD[ch]
        elif ch.isspace():
            rep = " " if ch not in "\n\r" else "\n"
        elif ch.isupper():
            rep = ch.lower()
        else:
            rep = ch
        for r in rep:
            out.append(r)
            origin.append(src)
    origin.append(len(text))
    return Normalized("".join(out), tuple(origin))


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
        text = unicodedata.normalize("NFC", text).replace("\u0e4d\u0e32", "\u0e33")
    text = _FAST_RE.sub(_fast_rep, text)
    return text.lower() if not text.islower() else text


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
