"""Character n-grams for recall on words the dictionary segmenter splits differently.

A query for "พัฒนา" must find "การพัฒนา", which ``newmm`` keeps as one word; a name or a
coinage missing from the dictionary must be found whatever the segmenter makes of it.
Trigrams of the normalised text give exact substring matching: a query's trigrams taken
as a phrase match wherever the query occurs inside a word. Spaces and dots between two
Thai characters are skipped, so "องค์ ความรู้" (a space inserted by table wrapping in a
PDF) and "พ.ร.บ." match "องค์ความรู้" and "พรบ".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from .normalize import normalize
from .segment import Token

N = 3


def is_thai(ch: str) -> bool:
    """True for a Thai letter, vowel or mark (U+0E01–U+0E4F; not the Thai digits)."""
    return "\u0e01" <= ch <= "\u0e4f"


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def runs(text: str) -> Iterator[list[tuple[str, int]]]:
    """Yield runs of word characters of normalised ``text`` as ``[(char, source_offset)]``.

    A space or a dot between two Thai characters does not end a run.
    """
    norm = normalize(text)
    t = norm.text
    run: list[tuple[str, int]] = []
    for i, ch in enumerate(t):
        if _is_word_char(ch):
            run.append((ch, norm.origin[i]))
            continue
        if ch in " ." and run and is_thai(run[-1][0]):
            j = i + 1
            while j < len(t) and t[j] in " .":
                j += 1
            if j < len(t) and is_thai(t[j]):
                continue
        if run:
            yield run
            run = []
    if run:
        yield run


def ngram_tokens(text: str, n: int = N, tails: bool = True) -> Iterator[Token]:
    """Yield overlapping ``n``-grams of every run of ``text``, positions consecutive.

    A run shorter than ``n`` is yielded whole. With ``tails`` (for indexing), each longer
    run's last ``n - 1`` characters are yielded too, at the position of its last n-gram,
    so a prefix query for a short word ("ลา") also finds it at the end of a run without
    disturbing phrase positions. Offsets refer to the original ``text``.
    """
    pos = 0
    for run in runs(text):
        if len(run) < n:
            yield Token("".join(c for c, _ in run), run[0][1], run[-1][1] + 1, pos)
            pos += 1
            continue
        for i in range(len(run) - n + 1):
            gram = run[i : i + n]
            yield Token("".join(c for c, _ in gram), gram[0][1], gram[-1][1] + 1, pos)
            pos += 1
        if tails:
            tail = run[-(n - 1) :]
            yield Token("".join(c for c, _ in tail), tail[0][1], tail[-1][1] + 1, pos - 1)


def ngrams(text: str, n: int = N) -> list[str]:
    """Return the n-gram strings of ``text`` in order, without tails: the form a
    query takes (see :func:`ngram_tokens`)."""
    return [t.text for t in ngram_tokens(text, n, tails=False)]
