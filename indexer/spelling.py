""""Did you mean": corrections for misspelt Thai queries.

Uses PyThaiNLP's Norvig spell checker over the words of the index itself (with their
document frequencies), so a suggestion is a word that the knowledge base contains.
Only Thai chunks are corrected; Latin words, digits and quoted phrases are kept. A query
typed with the keyboard left on the English layout ("4kKuxhkp" for "ภาษีป้าย") is read
back through the Thai Kedmanee layout.
"""

from __future__ import annotations

import re
import threading
import time

from .normalize import normalize_text
from .segment import NOMINAL_PREFIXES, segmenter

#: Chunks up to this many characters are first corrected whole.
MAX_WHOLE_CHUNK = 10
#: Two-edit corrections (PyThaiNLP's checker) take about 0.1 s per character, so
#: only fragments up to this long get them; longer ones get one-edit corrections.
MAX_TWO_EDITS = 6
#: A known word this short inside a query that found nothing may be a fragment of a
#: misspelt one (:meth:`Speller._glued`).
MAX_FRAGMENT = 2
#: Queries longer than this are not corrected at all (a pasted paragraph is not a
#: misspelt query), and no piece longer than :data:`MAX_EDITED` is given edits: the
#: one-edit candidates of a string of n characters number about 140 n, each n long, so
#: the work grows with the square of n (2,000 characters took 17 s and 1.4 GB).
MAX_SPELLED_QUERY = 100
MAX_EDITED = 24
#: A correction gives up (and suggests nothing) after this many seconds.
BUDGET_SECONDS = 0.3
_THAI_CHUNK = re.compile(r"[\u0e01-\u0e4e]+")
_TYPED_CHUNK = re.compile(r"[^\s\"]+")
_THAI_LETTERS = "".join(chr(c) for c in range(0x0E01, 0x0E4F))


def edits1(word: str) -> set[str]:
    """Every string one edit away from ``word`` (a deleted, swapped, replaced or
    inserted Thai character): Norvig's candidates, as in PyThaiNLP's checker; and, as
    one edit too, a silent consonant deleted with its THANTHAKHAT ("ทรัพยากรณ์" →
    "ทรัพยากร"), which writers add or drop as a unit."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _THAI_LETTERS}
            | {a + c + b for a, b in splits for c in _THAI_LETTERS}
            | {a + b[2:] for a, b in splits if b[1:2] == "\u0e4c"})


def _within_two_edits(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are at most two edits apart (optimal string alignment:
    delete, insert, replace, swap of neighbours). For short strings only (a word)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > 2:
            return False
        prev2, prev = prev, row
    return prev[-1] <= 2


class Speller:
    """Suggest a corrected query. ``freqs`` maps a word of the index to how many
    documents have it; corrections are always such words."""

    def __init__(self, freqs: dict[str, int]):
        self._freqs = dict(freqs)
        # The words a query piece may be: a single letter glued to words is a slip of the
        # finger ("ฝึกอบรมม"), even where the index holds it (from abbreviations: "ม.").
        self._words = frozenset(w for w in freqs if len(w) > 1)
        self._by_length: dict[int, list[str]] = {}
        for w in self._words:
            if len(w) <= MAX_TWO_EDITS + 1:
                self._by_length.setdefault(len(w), []).append(w)
        self._local = threading.local()  # one Speller serves every thread: each has its own budget

    def _spent(self) -> bool:
        """True once this thread's correction has used up :data:`BUDGET_SECONDS`."""
        return time.monotonic() > getattr(self._local, "deadline", float("inf"))

    def _nearest(self, text: str) -> str | None:
        """The most frequent indexed word one edit away from ``text``, or None (always
        for ``text`` longer than :data:`MAX_EDITED`, or once the budget is spent)."""
        if len(text) > MAX_EDITED or self._spent():
            return None
        known = [w for w in edits1(text) if w in self._freqs]
        return max(known, key=lambda w: (self._freqs[w], w)) if known else None

    def _two_edits(self, piece: str) -> str | None:
        """The most frequent indexed word two edits (Damerau: delete, insert, replace,
        swap) from a fragment of 2 to :data:`MAX_TWO_EDITS` characters, keeping the
        length within one character: two deletions from a short word make another word
        ("การลา" → "การ"), not a correction of it. None if there is none.

        PyThaiNLP's Norvig checker gives the same words by expanding every two-edit
        string (about 300,000 for four letters: 0.2 s, too near the budget); here the
        indexed words of a near length are compared instead, most at C speed by their
        letters (two edits change at most four of them)."""
        if not 2 <= len(piece) <= MAX_TWO_EDITS or self._spent():
            return None
        letters = set(piece)
        best: str | None = None
        for length in (len(piece) - 1, len(piece), len(piece) + 1):
            for word in self._by_length.get(length, ()):
                if len(letters.symmetric_difference(word)) <= 4 and _within_two_edits(piece, word) and (
                        best is None or (self._freqs[word], word) > (self._freqs[best], best)):
                    best = word
        return best

    def _correct(self, chunk: str, two_edits: bool) -> str:
        """``chunk`` (Thai, no spaces) with its misspelt words corrected.

        A short chunk is first tried whole. Otherwise the segmenter cuts it into words,
        and each piece the index lacks is corrected: the segmenter cuts a misspelt word
        into fragments ("เด้ก" → "เด้" + "ก"), so consecutive such pieces are joined, and
        corrected together with up to two words before and one after them when that
        gives an indexed word ("ผู้สูงอายู" → "ผู้สูงอายุ"), else alone; with
        ``two_edits``, a short fragment no one-edit change mends gets PyThaiNLP's
        two-edit correction."""
        if chunk in self._freqs:
            return chunk
        if len(chunk) <= MAX_WHOLE_CHUNK and (whole := self._nearest(chunk)):
            return whole
        known = self._words
        pieces: list[str] = []
        for piece in segmenter().segment(chunk):
            if pieces and piece not in known and pieces[-1] not in known:
                pieces[-1] += piece
            else:
                pieces.append(piece)
        out: list[str] = []
        i = 0
        while i < len(pieces):
            piece = pieces[i]
            if piece in known:
                out.append(piece)
                i += 1
                continue
            # With up to two words before and one after, widest first: "ผู้" + "สูง" + "อายู".
            windows = [(nb, na) for nb in (2, 1, 0) for na in (1, 0) if nb <= len(out) and i + na < len(pieces)]
            for nb, na in windows:
                if fixed := self._nearest("".join(out[len(out) - nb:]) + piece + "".join(pieces[i + 1:i + 1 + na])):
                    break
            else:
                nb = na = 0
                fixed = (self._two_edits(piece) if two_edits else None) or piece
            del out[len(out) - nb:]
            out.append(fixed)
            i += 1 + na
        fixed = "".join(out)
        return fixed if fixed != chunk else self._glued(pieces)

    def _glued(self, pieces: list[str]) -> str:
        """``pieces`` (the chunk as cut, where no unknown piece could be mended) joined,
        with one misspelt word mended that the segmenter cut into short words the index
        has ("อำนาย" → "อำ" + "นาย", so no piece looks misspelt):
        the first run of a piece of at most :data:`MAX_FRAGMENT` characters with up to
        two pieces before and one after it (widest first) that is no dictionary word
        but one edit from an indexed word ("คุณอำนาย" → "คุณอำนวย"); else the first
        การ/ความ noun that is no word but one edit from an indexed one ("ความเสียง" →
        "ความเสี่ยง")."""
        dictionary = segmenter().dictionary
        for i, piece in enumerate(pieces):
            if len(piece) > MAX_FRAGMENT:
                continue
            for nb, na in ((2, 1), (2, 0), (1, 1), (1, 0), (0, 1)):
                if nb > i or i + na >= len(pieces):
                    continue
                run = "".join(pieces[i - nb : i + 1 + na])
                if run not in dictionary and (fixed := self._nearest(run)):
                    return "".join(pieces[: i - nb]) + fixed + "".join(pieces[i + 1 + na :])
        # A noun made with การ/ความ whose word lost a mark and became another word
        # ("ความเสียง", sound, for "ความเสี่ยง", risk): no such noun, but one edit from an
        # indexed one.
        for i, piece in enumerate(pieces[:-1]):
            run = piece + pieces[i + 1]
            if piece in NOMINAL_PREFIXES and run not in dictionary and run not in self._freqs \
                    and (fixed := self._nearest(run)):
                return "".join(pieces[:i]) + fixed + "".join(pieces[i + 2 :])
        return "".join(pieces)

    def suggest(self, text: str, two_edits: bool = True) -> str | None:
        """The query with misspelt Thai words corrected, or None if nothing changed.
        Without ``two_edits`` only one-edit corrections are made: sure enough to search
        for instead of what was typed; two edits on a short word often make another
        word, fit only to be offered.

        Bounded whatever is typed: None for text over :data:`MAX_SPELLED_QUERY`
        characters, and after :data:`BUDGET_SECONDS` of work.

        >>> Speller({"ระเบียบ": 3, "การลา": 2}).suggest("ระเบีนบ การลา")
        'ระเบียบ การลา'
        """
        if len(text) > MAX_SPELLED_QUERY:
            return None
        self._local.deadline = time.monotonic() + BUDGET_SECONDS
        if (thai := self.from_english_layout(text)) is not None:
            return normalize_text(thai)
        text = normalize_text(text)
        changed = False

        def repl(m: re.Match) -> str:
            nonlocal changed
            fixed = self._correct(m.group(), two_edits)
            changed = changed or fixed != m.group()
            return fixed

        out = _THAI_CHUNK.sub(repl, text)
        return out if changed and not self._spent() else None

    def from_english_layout(self, text: str) -> str | None:
        """``text`` read as typed on a Thai Kedmanee keyboard left on the English
        layout ("4kKuxhkp ikp'koz]" → "ภาษีป้าย รายงานผล", by PyThaiNLP's
        ``eng_to_thai``), or None when that is not what happened: the text has Thai
        in it, or no chunk reads as indexed Thai words. A chunk without letters
        ("2567") or whose letters make a word the index has ("km", "egp") is kept.
        Case matters here: Shift gives other letters ("K" is ษ, "k" is า).

        >>> Speller({"ภาษี": 3, "ป้าย": 2}).from_english_layout("4kKuxhkp 2567")
        'ภาษีป้าย 2567'
        """
        from pythainlp.util import eng_to_thai

        if _THAI_CHUNK.search(text):
            return None
        changed = False

        def repl(m: re.Match) -> str:
            nonlocal changed
            chunk = m.group()
            if not any(c.isascii() and c.isalpha() for c in chunk) or normalize_text(chunk) in self._freqs:
                return chunk
            thai = self._correct(eng_to_thai(chunk), two_edits=False)
            if not all(p in self._words for p in segmenter().segment(thai)):
                return chunk
            changed = True
            return thai

        out = _TYPED_CHUNK.sub(repl, text)
        return out if changed else None
