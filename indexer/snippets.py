"""Highlighted snippets: the part of a text that best shows why it matched.

Works on the original text, so what the user reads is exactly what was stored; matches
are found on the normalised form (digits folded, case folded) and mapped back through
offsets. A query word matches a whole word of the text, and a query chunk of three or
more characters also matches inside longer words ("พัฒนา" in "การพัฒนา").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from html import escape

from .ngrams import is_thai
from .normalize import fold, normalize
from .query import ParsedQuery
from .segment import iter_tokens, readings, segmenter, stem_of, words
from .synonyms import synonyms

ELLIPSIS = "…"
#: Length of a result's snippet, in characters.
SNIPPET_CHARS = 240


def match_spans(text: str, terms: Iterable[str], substrings: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Return sorted, merged ``(start, end)`` spans of ``text`` that match.

    ``terms`` are normalised words (as :func:`indexer.segment.words` makes them) matched
    against whole words of ``text``, or two words in a row that spell one ("ระยะ" +
    "เวลา" where a PDF table wrapped "ระยะเวลา" onto two lines, which searches find
    through :func:`indexer.segment.splits`); a term of several words separated by
    spaces matches those words in a row ("ถาม ตอบ" in "ถาม–ตอบ"). ``substrings`` are
    normalised strings matched anywhere in the normalised text (spaces inside them
    must match exactly).

    When ``terms`` hold a word that is not a stop word, a stop word of PyThaiNLP's list
    ("การ", "ใน", "วัน") is marked only next to another mark, as in "ใน<การฝึกอบรม>"
    or "ภายใน ๑๕ วัน": on its own it would be marked all over the snippet.
    """
    terms = set(terms)
    runs: dict[str, list[tuple[str, ...]]] = {}
    for term in [t for t in terms if " " in t]:
        terms.discard(term)
        run = tuple(term.split())
        runs.setdefault(run[0], []).append(run)
    spans: list[tuple[int, int]] = []
    if terms or runs:
        stop = _stop_words()
        content = any(t not in stop for t in terms) or bool(runs)
        found: list[tuple[int, int, int, bool]] = []  # (first token, start, end, weak)
        toks = list(iter_tokens(text))
        for i, t in enumerate(toks):
            if t.text in terms:
                found.append((i, t.start, t.end, content and t.text in stop))
            elif i and toks[i - 1].text + t.text in terms:
                found.append((i - 1, toks[i - 1].start, t.end, False))
            for run in runs.get(t.text, ()):
                if tuple(x.text for x in toks[i : i + len(run)]) == run:
                    found.append((i, t.start, toks[i + len(run) - 1].end, False))
        spans.extend((s, e) for _i, s, e, _w in _anchored(found))
    subs = [s for s in set(substrings) if len(s) >= 3]
    if subs:
        norm = normalize(text)
        ntext = norm.text
        for sub in subs:
            i = ntext.find(sub)
            while i >= 0:
                spans.append(norm.source_span(i, i + len(sub)))
                i = ntext.find(sub, i + len(sub))
    return _merge(spans)


def _anchored(found: list[tuple[int, int, int, bool]]) -> list[tuple[int, int, int, bool]]:
    """``found`` without the weak (stop word) matches that no chain of matches ties to
    a strong one: a weak match stays when a match starts at most two tokens before or
    after it (two: the word inside a การ/ความ noun is a token of its own)."""
    keep = [not weak for _i, _s, _e, weak in found]
    for order in (range(len(found)), range(len(found) - 1, -1, -1)):
        for k in order:
            if keep[k]:
                continue
            for j in (k - 1, k + 1):
                if 0 <= j < len(found) and keep[j] and abs(found[j][0] - found[k][0]) <= 2:
                    keep[k] = True
                    break
    return [f for f, kept in zip(found, keep, strict=True) if kept]


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """Escape ``text`` as HTML and wrap each span in ``<mark>``."""
    out, last = [], 0
    for s, e in spans:
        out.append(escape(text[last:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        last = e
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(text: str, spans: list[tuple[int, int]], max_chars: int = 220) -> str:
    """The window of at most ``max_chars`` characters of ``text`` holding the most
    matches (ties: the earliest), escaped as HTML with matches in ``<mark>``.

    Without spans, the start of the text. Line breaks become spaces; an ellipsis marks
    text cut at either end.
    """
    if not text:
        return ""
    if not spans:
        start, end = 0, min(len(text), max_chars)
    else:
        best, best_count = 0, -1
        for i, (s, _) in enumerate(spans):
            limit = s + max_chars
            count = sum(1 for (a, b) in spans[i:] if b <= limit)
            if count > best_count:
                best, best_count = i, count
        first = spans[best][0]
        # Start a little before the first match, at a space when there is one nearby.
        start = max(0, first - max_chars // 4)
        space = text.rfind(" ", start, first)
        if start > 0 and space > start and first - space < max_chars // 3:
            start = space + 1
        end = min(len(text), start + max_chars)
    # Never cut between a Thai consonant and its vowel or tone marks.
    while 0 < start and unicodedata.category(text[start]) == "Mn":
        start -= 1
    while end < len(text) and unicodedata.category(text[end]) == "Mn":
        end += 1
    window = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
    body = highlight(text[start:end], window)
    body = " ".join(body.split())
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else "")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def best_snippet(text: str, terms: Iterable[str], substrings: Iterable[str] = (), max_chars: int = 220) -> str:
    """:func:`snippet` of ``text`` for these ``terms`` and ``substrings`` (as in
    :func:`match_spans`), analysing only the snippet's own window of the text.

    The window with the most distinct matches (stop words left out when the query has
    other words) is found by plain substring search of a length-keeping fold of the
    text (:func:`indexer.normalize.fold`, C-speed ``str`` methods); only that window
    (plus a margin) is normalised and segmented, for exact whole-word highlighting. The
    cost of a snippet is that of its window, whatever the length of the entry: a
    135,000-character plan costs what a 2,000-character manual does, but for one pass
    of ``str.translate`` and ``str.find`` (lucene's highlighters bound it the same way,
    by analysing fragments, not documents).
    """
    if not text:
        return ""
    keys = {k for k in set(terms) | set(substrings) if k}
    # Stop words are marked only beside other matches (match_spans): a window chosen
    # for its many "การ" would show none.
    keys = {k for k in keys if k not in _stop_words()} or keys
    folded = fold(text)
    found = [(folded.source(i), key) for key in keys for i in _occurrences(folded.text, key)]
    if not found:
        return snippet(text, [], max_chars)
    found.sort()
    best_start, best_rank = found[0][0], (0, 0)
    end = 0
    for i, (start, _) in enumerate(found):  # windows starting at each match
        end = max(end, i)
        while end < len(found) and found[end][0] < start + max_chars:
            end += 1
        window = found[i:end]
        rank = (len({k for _, k in window}), len(window))
        if rank > best_rank:
            best_start, best_rank = start, rank
    # Analyse only around that window: snippet() starts at most max_chars // 4 before it.
    a = max(0, best_start - max_chars // 4 - 20)
    b = min(len(text), best_start + max_chars + 20)
    # Widen to whitespace so the segmenter sees whole words at both edges.
    space = text.rfind(" ", 0, a)
    a = space + 1 if space >= 0 and a - space < 40 else a
    space = text.find(" ", b)
    b = space if space >= 0 and space - b < 40 else b
    spans = [(s + a, e + a) for s, e in match_spans(text[a:b], terms, substrings)]
    return snippet(text, spans, max_chars)


_LATIN_WORD = re.compile(r"[a-z]{4,}")
_THAI_KEY = re.compile(r"[\u0e01-\u0e4f]{2,12}")


def _occurrences(folded: str, key: str, limit: int = 64) -> list[int]:
    """Offsets of the first ``limit`` occurrences of ``key`` (a normalised word) in
    ``folded`` (:func:`indexer.normalize.fold` of a text). For a key found nowhere: a
    Thai abbreviation written with its dots ("พรบ" in "พ.ร.บ."), and a Latin word
    written apart or hyphenated ("workflow" in "work flow",
    :func:`indexer.segment.latin_joins`)."""
    out: list[int] = []
    i = folded.find(key)
    while i >= 0 and len(out) < limit:
        out.append(i)
        i = folded.find(key, i + len(key))
    if out:
        return out
    if _THAI_KEY.fullmatch(key):
        dotted = re.compile("\\.?".join(map(re.escape, key)))
    elif _LATIN_WORD.fullmatch(key):
        dotted = re.compile("[ -]?".join(key))
    else:
        return out
    return [m.start() for _, m in zip(range(limit), dotted.finditer(folded), strict=False)]


def highlight_terms(parsed: ParsedQuery) -> tuple[set[str], set[str]]:
    """``(terms, substrings)`` to mark in titles and snippets for a query: the words of
    every reading of the required parts (:func:`indexer.segment.readings`) and their
    synonyms, and, as substrings (for matches inside longer words), each required part
    as typed (normalised) and each synonym variant but stop words (a lone "การ" or
    "ใน" would be marked inside every word holding it, as in ราชการ). The words of
    optional parts (question words) are terms too, never substrings.

    A synonym variant of several words is a term of those words in a row and a
    substring written as in the text (:func:`_surface`), but its words alone are not
    terms: they are not what was asked for ("workflow" marks ผังกระบวนการงาน and
    Work Flow, not every งาน)."""
    terms: set[str] = set()
    subs: set[str] = set()
    stop = _stop_words()
    for part in parsed.required:
        toks = words(part.text)
        subs.add(" ".join(toks) if part.phrase else "".join(toks))
        for reading in readings(part.text):
            terms.update(reading)
            for slot in synonyms().expand(reading):
                for variant in slot:
                    if len(variant) > 1:
                        terms.add(" ".join(variant))
                        subs.add(_surface(variant))
                        continue
                    terms.update(variant)
                    if variant[0] not in stop:  # "การ" inside every ราชการ
                        subs.add(variant[0])
    for part in parsed.optional:
        terms.update(words(part.text))
    return terms, subs


def _surface(variant: tuple[str, ...]) -> str:
    """A multi-word variant as normalised text writes it: Thai words together, Latin
    words and numbers apart, without the word :func:`indexer.segment.words` adds after
    a การ/ความ noun (("การ", "จัดการ", "ความรู้", "รู้") is "การจัดการความรู้")."""
    dictionary = segmenter().dictionary
    out, prev = "", ""
    for word in variant:
        if prev and stem_of(prev, dictionary) == word:
            prev = ""
            continue
        if out and not is_thai(out[-1]) and not is_thai(word[0]):
            out += " "
        out, prev = out + word, word
    return out


def hit_html(title: str, body: str, summary: str, terms: set[str], substrings: set[str],
             max_chars: int = SNIPPET_CHARS) -> tuple[str, str]:
    """``(title_html, snippet_html)`` of one search result: the title with its matches
    marked, and the :func:`best_snippet` of the body, or of the summary when only the
    summary shows a match (or there is no body)."""
    snip = best_snippet(body or summary, terms, substrings, max_chars)
    if summary and body and terms and "<mark>" not in snip:
        alt = best_snippet(summary, terms, substrings, max_chars)
        snip = alt if "<mark>" in alt else snip
    return highlight(title, match_spans(title, terms, substrings)), snip
