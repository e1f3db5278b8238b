"""Word segmentation of mixed Thai/Latin/digit text, with source character offsets.

Thai has no spaces between words, so Thai runs go through the dictionary-based maximal
matching segmenter ``newmm`` (PyThaiNLP); when the ``nlpo3`` package is installed the same
algorithm runs in Rust, several times faster. Latin words and numbers are split by a
regular expression. Every token carries the offsets of the *original* text it came from,
so highlighting lands on the words the user sees.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from . import vocabulary
from .normalize import normalize, normalize_text

# A Thai run starts with a Thai letter and may contain dots, so abbreviations such as
# "พ.ร.บ." and "อปท." reach the segmenter whole. Other words: runs of letters of any
# other script (Latin), or of digits (Arabic, Thai ones after normalisation); a number
# glued to letters is a word of its own ("KMP6", "ISO9001"), as "KMP ๖" is written.
_WORD_RE = re.compile(r"(?P<thai>[\u0e01-\u0e4f][\u0e01-\u0e4f.]*)|(?P<other>[^\W\d_\u0e00-\u0e7f]+|\d+)")
#: Bump when :func:`words` or :func:`tokenize` give other words for the same text:
#: every index built before must then be rebuilt (backends store it with their schema).
ANALYSIS_VERSION = "5"
# Tokens made only of these carry no meaning: mai yamok, paiyannoi, dots.
_NOISE_CHARS = "ๆฯ."
#: Prefixes that make nouns of verbs and adjectives (การ + อบรม, ความ + เสี่ยง).
#: PyThaiNLP's word list holds about 1,700 such nouns as single words ("การอบรม") while
#: it splits others ("การ ฝึกอบรม"), so a search for "อบรม" would miss "การอบรม".
NOMINAL_PREFIXES = ("การ", "ความ")
_PREFIX_HEADS = frozenset(p[0] for p in NOMINAL_PREFIXES)


def stem_of(word: str, dictionary: frozenset[str]) -> str | None:
    """The word inside a prefixed noun: "อบรม" for "การอบรม", "เสี่ยง" for "ความเสี่ยง";
    None unless ``word`` starts with one of :data:`NOMINAL_PREFIXES` and the rest (at
    least two characters) is itself in ``dictionary``. Both the noun and this word are
    indexed, at consecutive positions, and queries are analysed the same way, so a
    phrase still matches."""
    for prefix in NOMINAL_PREFIXES:
        if word.startswith(prefix):
            rest = word[len(prefix):]
            return rest if len(rest) >= 2 and rest in dictionary else None
    return None


def splits(word: str, dictionary: frozenset[str]) -> list[tuple[str, str]]:
    """The ways to read ``word`` as two dictionary words of at least two characters
    each: ``[("ระเบียบ", "การ")]`` for "ระเบียบการ", ``[("การ", "ปฏิบัติ")]`` for
    "การปฏิบัติ". Maximal matching picks one reading of a run and the next word of a
    document can change it: "วิธีการ" is "วิธี|การบริหาร" in "วิธีการบริหาร",
    "แนวทาง" is "แนว|ทางการ" in "แนวทางการดำเนินงาน", "การปฏิบัติ" is
    "การ|ปฏิบัติงาน"; a PDF table wraps "ระยะ⏎เวลา". Queries therefore also accept the
    two words side by side (:meth:`indexer.synonyms.Synonyms.query_slots`), and the
    SQLite backend the first followed by a word that starts with the second
    (:func:`indexer.synonyms.open_ended`). Empty for words shorter than four
    characters and non-Thai words."""
    if len(word) < 4 or not "\u0e01" <= word[0] <= "\u0e4f":
        return []
    return [(word[:k], word[k:]) for k in range(2, len(word) - 1)
            if word[:k] in dictionary and word[k:] in dictionary]


_LATIN_RE = re.compile(r"[a-z]+")
#: Latin words shorter than this keep a final "s": acronyms such as "GPS", "ITS".
_MIN_STEMMED = 4


def latin_stem(word: str) -> str:
    """A normalised (lower-case) Latin word without its plural ending, Harman's
    "S stemmer" (D. Harman, "How effective is suffixing?", JASIS 42(1), 1991): "ies" →
    "y" (not after e or a), "es" → "e" (not after a, e or o), "s" → "" (not after u or
    s), the first rule that applies. "KPIs" is "kpi", "Best Practices" "best
    practice", "Infographics" "infographic". Words of other scripts, numbers and words
    shorter than four letters are returned unchanged."""
    if len(word) < _MIN_STEMMED or word[-1] != "s" or not _LATIN_RE.fullmatch(word):
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if not word.endswith(("us", "ss")):
        return word[:-1]
    return word


#: Latin words joined by :func:`latin_joins` are at most this long.
MAX_LATIN_JOIN = 24


def latin_joins(ntext: str, runs: Iterable[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """``(start, end, word)`` for each two Latin words of ``ntext`` (normalised) that
    one space or hyphen joins: ``runs`` are the ``(start, end)`` offsets of the text's
    words in order, ``word`` the two written together (:func:`latin_stem`). English
    compounds are written apart, hyphenated and together ("Work Flow", "workflow";
    "e-bidding", "ebidding"; "Web board"), so documents index this word as well (at
    the end of the text, where it breaks no phrase) and a search for the compound
    written together finds the others."""
    out = []
    prev: tuple[int, int] | None = None
    for start, end in runs:
        if (prev is not None and start == prev[1] + 1 and ntext[prev[1]] in " -"
                and end - prev[0] <= MAX_LATIN_JOIN + 1
                and _LATIN_RE.fullmatch(ntext[prev[0] : prev[1]]) and _LATIN_RE.fullmatch(ntext[start:end])):
            out.append((prev[0], end, latin_stem(ntext[prev[0] : prev[1]] + ntext[start:end])))
        prev = (start, end)
    return out


def _sara_am_lines(ntext: str) -> Callable[[int], bool]:
    """Whether the sara-am repair may apply at an offset of ``ntext``: only on lines
    without any "ำ". The PDF defect turns every "ำ" of the text it touches into "า", so a
    line that still has one was not touched (and most lines of real Thai prose have one,
    which keeps the repair cheap)."""
    if "ำ" not in ntext:
        return lambda _i: True
    starts, flags, pos = [], [], 0
    for line in ntext.split("\n"):
        starts.append(pos)
        flags.append("ำ" not in line)
        pos += len(line) + 1
    return lambda i: flags[bisect_right(starts, i) - 1]


@dataclass(frozen=True, slots=True)
class Token:
    """One word: ``text`` normalised (digits folded, dots removed, lower case);
    ``start``/``end`` are offsets into the original string (half-open); ``pos`` is the
    word's ordinal position, for phrase matching."""

    text: str
    start: int
    end: int
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised word tokens with source offsets.

    >>> [t.text for t in tokenize("รายงานผล ภายใน ๑๕ วัน")]
    ['รายงาน', 'ผล', 'ภายใน', '15', 'วัน']
    """
    return list(iter_tokens(text))


def iter_tokens(text: str, joins: bool = False) -> Iterable[Token]:
    """Yield the tokens of :func:`tokenize` one at a time; with ``joins`` (documents),
    then the :func:`latin_joins` of the text, spanning both words."""
    norm = normalize(text)
    ntext = norm.text
    repairable = _sara_am_lines(ntext)
    pos = 0
    runs: list[tuple[int, int]] = []
    for m in _WORD_RE.finditer(ntext):
        if joins:
            runs.append(m.span())
        if m.lastgroup == "other":
            s, e = norm.source_span(m.start(), m.end())
            yield Token(latin_stem(m.group()), s, e, pos)
            pos += 1
            continue
        run_start = m.start()
        run = m.group()
        # Remove dots inside Thai runs: "พ.ร.บ." and "พรบ" become the same word.
        if "." in run:
            kept = [i for i, ch in enumerate(run) if ch != "."]
            dotless = "".join(run[i] for i in kept)
        else:
            kept, dotless = None, run
        offset = 0
        seg = segmenter()
        pieces = seg.segment(dotless)
        if "า" in dotless and repairable(run_start):
            pieces = repair_sara_am(pieces, seg)
        for piece in pieces:
            w_start, offset = offset, offset + len(piece)
            # "ต่างๆ" and "ต่าง ๆ" are the same word: mai yamok is not part of it.
            word = piece.rstrip("ๆ")
            if not word.strip(_NOISE_CHARS) or word.isspace():
                continue
            a = run_start + (kept[w_start] if kept else w_start)
            b = run_start + (kept[offset - 1] if kept else offset - 1) + 1
            s, e = norm.source_span(a, b)
            yield Token(word, s, e, pos)
            pos += 1
            stem = stem_of(word, seg.dictionary)
            if stem is not None:
                a = run_start + (kept[offset - len(stem)] if kept else offset - len(stem))
                s, e = norm.source_span(a, b)
                yield Token(stem, s, e, pos)
                pos += 1
    for a, b, joined in latin_joins(ntext, runs) if joins else ():
        s, e = norm.source_span(a, b)
        yield Token(joined, s, e, pos)
        pos += 1


def repair_sara_am(pieces: list[str], seg: Segmenter) -> list[str]:
    """Repair the sara-am defect of text pasted from PDF files, where "ำ" came out as
    "า" ("สาคัญ" for "สำคัญ", "ดาเนินการ" for "ดำเนินการ").

    Rule (docs/domain.md, "Thai text"): an "า" after a consonant in a
    short piece (at most 4 letters) is read as "ำ" when that makes the piece and up to
    two following pieces (with the piece before, if any) into fewer pieces that are all
    dictionary words. The text keeps its length, so offsets stay valid. ``pieces`` are
    :meth:`Segmenter.segment` output; returns a new list (the same one when nothing
    changed).
    """
    out = pieces
    i = 0
    while i < len(out):
        repaired = _repair_at(out, i, seg) if len(out[i]) <= 4 else None
        if repaired is None:
            i += 1
            continue
        lo, hi, fixed = repaired
        out = [*out[:lo], *fixed, *out[hi:]]
        i = lo + len(fixed)
    return out


def _repair_at(pieces: list[str], i: int, seg: Segmenter) -> tuple[int, int, list[str]] | None:
    """The first repair of :func:`repair_sara_am` for ``pieces[i]``: ``(lo, hi, fixed)``
    where ``fixed`` replaces ``pieces[lo:hi]``, or None. Narrower windows are tried first."""
    piece = pieces[i]
    for j, ch in enumerate(piece):
        if ch != "า" or not j or piece[j - 1] + "ำ" not in seg.am_syllables:
            continue
        for lo in (i, i - 1) if i else (i,):
            for hi in (i + 3, i + 2, i + 1):
                if hi > len(pieces):
                    continue
                window = tuple(pieces[lo:hi])
                fixed = seg.repaired(window, sum(len(p) for p in pieces[lo:i]) + j)
                if fixed is not None:
                    return lo, hi, list(fixed)
    return None


# Dots after a Thai letter (inside or at the end of a Thai run: "พ.ร.บ.", "อปท.").
_THAI_DOTS_RE = re.compile(r"(?<=[\u0e01-\u0e4f])\.+")
_RUN_RE = re.compile(r"(?P<thai>[\u0e01-\u0e4f]+)|(?P<other>[^\W\d_\u0e00-\u0e7f]+|\d+)")


#: Texts up to this long (queries and their parts) have their words cached: a search
#: asks for the words of the same few strings many times.
CACHED_CHARS = 500


def words(text: str) -> list[str]:
    """Return just the normalised words of ``text``: the ``text`` of each token of
    :func:`tokenize`, computed without offsets.

    This is the indexing path: normalisation with ``str`` methods, and every Thai run
    of the text segmented in one call (runs joined by line breaks, which the segmenter
    never crosses), so it runs several times faster than :func:`tokenize`. Texts of up
    to :data:`CACHED_CHARS` characters are cached (per vocabulary).
    """
    if len(text) <= CACHED_CHARS:
        return list(_cached_words(text, vocabulary.generation()))
    return _words(text, False)[0]


@lru_cache(maxsize=4096)
def _cached_words(text: str, _generation: int) -> tuple[str, ...]:
    return tuple(_words(text, False)[0])


def document_words(text: str) -> tuple[list[str], list[str]]:
    """``(words, compounds)`` of a document's ``text``: its :func:`words`, where a single
    space splits a dictionary word in two, as table wrapping in PDF files does
    ("องค์ ความรู้"), with the whole word also after its second half (a search for
    "องค์ความรู้" finds it while both halves stay searchable); and the words of its
    :func:`latin_joins`, which backends index after all the others (where they break no
    phrase) and leave out of the vocabulary they expand query words into."""
    return _words(text, True)


def _words(text: str, joins: bool) -> tuple[list[str], list[str]]:
    """:func:`document_words` (``joins``) or :func:`words` and no compounds."""
    ntext = _THAI_DOTS_RE.sub("", normalize_text(text))
    repairable = _sara_am_lines(ntext)
    matches = list(_RUN_RE.finditer(ntext))
    thai = [m.group() for m in matches if m.lastgroup == "thai"]
    seg = segmenter()
    dictionary = seg.dictionary
    pieces_iter = iter(seg.segment_runs(thai)) if thai else iter(())
    out: list[str] = []
    last_end, last_piece = -2, ""
    for m in matches:
        if m.lastgroup == "other":
            out.append(latin_stem(m.group()))
            last_end = -2
            continue
        pieces = next(pieces_iter)
        if "า" in m.group() and repairable(m.start()):
            pieces = repair_sara_am(pieces, seg)
        first, run_first, run_last = len(out), "", ""
        for piece in pieces:
            word = piece.rstrip("ๆ")
            if word.strip(_NOISE_CHARS):
                out.append(word)
                run_first, run_last = run_first or word, word
                # Hot path: a set lookup spares most words the call (5% of words()).
                if word[0] in _PREFIX_HEADS and (stem := stem_of(word, dictionary)):
                    out.append(stem)
        if joins and run_last and m.start() == last_end + 1 and ntext[last_end] == " ":
            joined = last_piece + run_first
            if joined in dictionary:
                out.insert(first + 1, joined)
        last_end, last_piece = m.end(), run_last
    compounds = [joined for _a, _b, joined in latin_joins(ntext, (m.span() for m in matches))] if joins else []
    return out, compounds


#: At most this many other readings of a query chunk (:func:`readings`).
MAX_READINGS = 2


def readings(text: str) -> list[list[str]]:
    """:func:`_readings`, cached per vocabulary (queries ask for the same few)."""
    return [list(r) for r in _cached_readings(text, vocabulary.generation())]


@lru_cache(maxsize=1024)
def _cached_readings(text: str, _generation: int) -> tuple[tuple[str, ...], ...]:
    return tuple(map(tuple, _readings(text)))


def _readings(text: str) -> list[list[str]]:
    """The :func:`words` of a query chunk ``text``, then up to :data:`MAX_READINGS`
    other readings where การ or ความ goes to the other side of a word boundary.

    Maximal matching glues these prefixes to either neighbour, and which one depends
    on the text around them: typed alone, "ระเบียบการฝึกอบรม" is ระเบียบการ|ฝึกอบรม,
    while the regulation says "ระเบียบ … ในการฝึกอบรม"; "วิธีการรายงานผล" is
    วิธี|การรายงานผล, while a manual says "วิธีการ|รายงาน|ผล". A document matching any
    reading matches the query. A prefix moves forward when what it leaves is a
    dictionary word and the next word does not start with a prefix itself ("จัดการ
    ความรู้" stays), and backward when the word before plus the prefix is a dictionary
    word (วิธี + การ)."""
    first = words(text)
    ntext = _THAI_DOTS_RE.sub("", normalize_text(text))
    seg = segmenter()
    dictionary = seg.dictionary
    cuts: list[int] = []
    for m in _RUN_RE.finditer(ntext):
        if m.lastgroup != "thai":
            continue
        pieces = seg.segment(m.group())
        pos = m.start()
        for a, b in pairwise(pieces):
            pos += len(a)  # the boundary between a and b
            for prefix in NOMINAL_PREFIXES:
                if (a.endswith(prefix) and a[: -len(prefix)] in dictionary and len(a) > len(prefix) + 1
                        and not b.startswith(NOMINAL_PREFIXES)):
                    cuts.append(pos - len(prefix))
                elif b.startswith(prefix) and len(b) > len(prefix) + 1 and a + prefix in dictionary:
                    cuts.append(pos + len(prefix))
    out = [first]
    for cut in cuts:
        reading = words(ntext[:cut]) + words(ntext[cut:])
        if reading not in out:
            out.append(reading)
        if len(out) > MAX_READINGS:
            break
    return out


class Segmenter:
    """Dictionary-based Thai word segmenter (maximal matching, ``newmm``).

    ``dictionary`` is the set of words; it is PyThaiNLP's Thai word list plus kmrepo's
    government vocabulary (``indexer/data/words.txt``), each also without its dots.
    Uses ``nlpo3`` when importable, PyThaiNLP's ``newmm`` otherwise; both yield pieces
    that concatenate back to the input.
    """

    def __init__(self, dictionary: frozenset[str]):
        self.dictionary = dictionary
        #: Every "consonant + ำ" found in the dictionary (for :func:`repair_sara_am`).
        self.am_syllables = frozenset(w[i - 1 : i + 1] for w in dictionary if "ำ" in w
                                      for i, ch in enumerate(w) if ch == "ำ" and i)
        self.engine = "newmm"
        self.repaired = lru_cache(maxsize=1 << 16)(self._repaired)
        self._nlpo3 = None
        self._trie = None
        try:
            import nlpo3  # type: ignore[import-not-found]
        except ImportError:
            nlpo3 = None
        if nlpo3 is not None:
            path = _dictionary_file(dictionary)
            name = "kmrepo-" + os.path.basename(path)
            nlpo3.load_dict(path, name)
            self._nlpo3, self._dict_name, self.engine = nlpo3, name, "nlpo3"

    def segment_runs(self, runs: list[str]) -> list[list[str]]:
        """Segment several Thai runs at once: ``[self.segment(r) for r in runs]``,
        in a single call to the engine when it is nlpo3."""
        if self._nlpo3 is None:
            return [self.segment(r) for r in runs]
        out: list[list[str]] = [[]]
        for piece in self._nlpo3.segment("\n".join(runs), self._dict_name):
            if piece == "\n":
                out.append([])
            else:
                out[-1].append(piece)
        return out

    def _repaired(self, window: tuple[str, ...], k: int) -> tuple[str, ...] | None:
        """``window`` (consecutive pieces) with the "า" at character ``k`` read as "ำ",
        re-segmented, when that gives fewer pieces, all dictionary words; else None.
        Cached per segmenter (:attr:`repaired`): the same pairs of words recur."""
        text = "".join(window)
        fixed = self.segment(text[:k] + "ำ" + text[k + 1:])
        if len(fixed) < len(window) and all(p in self.dictionary for p in fixed):
            return tuple(fixed)
        return None

    def segment(self, text: str) -> list[str]:
        """Split a Thai run (no spaces expected) into dictionary words."""
        if not text:
            return []
        if self._nlpo3 is not None:
            return self._nlpo3.segment(text, self._dict_name)
        if self._trie is None:
            from pythainlp.util import Trie

            self._trie = Trie(self.dictionary)
        from pythainlp.tokenize import word_tokenize

        return word_tokenize(text, custom_dict=self._trie, engine="newmm", keep_whitespace=True)


_lock = threading.Lock()
_built: tuple[int, Segmenter] | None = None


def segmenter() -> Segmenter:
    """The process-wide :class:`Segmenter` with kmrepo's dictionary, built once per
    vocabulary (:func:`indexer.vocabulary.generation`)."""
    global _built
    built = _built
    if built is None or built[0] != vocabulary.generation():
        with _lock:
            if _built is None or _built[0] != vocabulary.generation():
                _built = (vocabulary.generation(), Segmenter(load_dictionary()))
            built = _built
    return built[1]


def load_dictionary() -> frozenset[str]:
    """PyThaiNLP's Thai words plus the vocabulary's word files (``indexer/data/words.txt``
    and any configured in :func:`indexer.vocabulary.configure`), with dotless variants."""
    from pythainlp.corpus import thai_words

    base = set(thai_words())
    base.update(vocabulary.word_lines())
    # Normalised as one text (what normalisation does never crosses a line): a tenth of the time
    lines = normalize_text("\n".join(w for w in base if "\n" not in w)).replace(".", "").split("\n")
    return frozenset(w for w in map(str.strip, lines) if w and " " not in w)


def _dictionary_file(dictionary: frozenset[str]) -> str:
    """Write ``dictionary`` to a cache file (one word per line) for nlpo3; return its path."""
    payload = "\n".join(sorted(dictionary)).encode("utf-8")
    digest = hashlib.sha256(payload).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"kmrepo-words-{digest}.txt")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=tempfile.gettempdir(), prefix="kmrepo-words-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    return path
