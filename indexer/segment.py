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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .normalize import normalize

# A Thai run starts with a Thai letter and may contain dots, so abbreviations such as
# "พ.ร.บ." and "อปท." reach the segmenter whole. Other words: letters and digits of any
# other script (Latin, Arabic digits after normalisation).
_WORD_RE = re.compile(r"(?P<thai>[\u0e01-\u0e4f][\u0e01-\u0e4f.]*)|(?P<other>[^\W_\u0e00-\u0e7f]+)")
# Tokens made only of these carry no meaning: mai yamok, paiyannoi, dots.
_NOISE = frozenset("ๆฯ.")


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


def iter_tokens(text: str) -> Iterable[Token]:
    """Yield the tokens of :func:`tokenize` one at a time."""
    norm = normalize(text)
    ntext = norm.text
    pos = 0
    for m in _WORD_RE.finditer(ntext):
        if m.lastgroup == "other":
            s, e = norm.source_span(m.start(), m.end())
            yield Token(m.group(), s, e, pos)
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
        for piece in segmenter().segment(dotless):
            w_start, offset = offset, offset + len(piece)
            # "ต่างๆ" and "ต่าง ๆ" are the same word: mai yamok is not part of it.
            word = piece.rstrip("ๆ")
            if not word or all(ch in _NOISE for ch in word) or word.isspace():
                continue
            a = run_start + (kept[w_start] if kept else w_start)
            b = run_start + (kept[offset - 1] if kept else offset - 1) + 1
            s, e = norm.source_span(a, b)
            yield Token(word, s, e, pos)
            pos += 1


def words(text: str) -> list[str]:
    """Return just the normalised words of ``text`` (see :func:`tokenize`)."""
    return [t.text for t in iter_tokens(text)]


class Segmenter:
    """Dictionary-based Thai word segmenter (maximal matching, ``newmm``).

    ``dictionary`` is the set of words; it is PyThaiNLP's Thai word list plus kmrepo's
    government vocabulary (``indexer/data/words.txt``), each also without its dots.
    Uses ``nlpo3`` when importable, PyThaiNLP's ``newmm`` otherwise; both yield pieces
    that concatenate back to the input.
    """

    def __init__(self, dictionary: frozenset[str]):
        self.dictionary = dictionary
        self.engine = "newmm"
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


@lru_cache(maxsize=1)
def segmenter() -> Segmenter:
    """The process-wide :class:`Segmenter` with kmrepo's dictionary (built once)."""
    with _lock:
        return Segmenter(load_dictionary())


def load_dictionary() -> frozenset[str]:
    """PyThaiNLP's Thai words plus ``indexer/data/words.txt``, with dotless variants.

    ``words.txt`` holds one word per line (``#`` starts a comment); the KM team adds
    government terms there that the segmenter would otherwise split.
    """
    from pythainlp.corpus import thai_words

    base = set(thai_words())
    extra = resources.files("indexer").joinpath("data", "words.txt").read_text(encoding="utf-8")
    for line in extra.splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            base.add(word)
    out = set()
    for word in base:
        w = normalize(word).text.replace(".", "").strip()
        if w and " " not in w:
            out.add(w)
    return frozenset(out)


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
