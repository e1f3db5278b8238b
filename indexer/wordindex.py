"""What the SQLite and PostgreSQL backends share: documents analysed into words in
Python, and the tiered scoring of a query over an index of those words.

Both backends index the same text (:func:`analyze`: the words of each field, then the
trigram text of title and labels) and score a query the same way (:func:`score`): each
typed chunk as its words, any of their synonyms, the first of its readings that
matches, or inside longer words of the vocabulary (:func:`inside_scores`); a bonus
where the query's words stand together; a lift for featured entries. A backend gives
the primitives, through a :class:`WordIndex`: its query syntax (phrase, any, all,
near), the scores of an expression, the indexed words containing a string, and the
documents whose title or labels contain one.

Analysis of many or long documents runs in worker processes (:func:`analyzed`).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import islice
from typing import NamedTuple, Protocol

from .backend import FILTER_FIELDS, IndexDocument
from .ngrams import is_thai
from .normalize import normalize_text
from .query import ParsedQuery, QueryPart
from .segment import ANALYSIS_VERSION, document_words, readings, segmenter, words
from .synonyms import inside_variants, open_ended, synonyms

#: A part matched only inside longer words or through title trigrams scores this
#: share of that match's score.
GRAM_WEIGHT = 0.5
#: At most this many indexed words containing a query chunk are searched for it.
MAX_EXPANSION = 200
#: Where two consecutive query words stand side by side (either order): this much, plus
#: this share of the score of such pairs (so more pairs, and pairs in the title, count more).
PROXIMITY_BOOST = 1.0
PROXIMITY_WEIGHT = 1.0
#: A small lift for entries the KM corner features (added to the score).
FEATURED_BOOST = 0.5
#: Rebuilds and additions of at least this many documents, or this many characters,
#: segment in worker processes (``kmrepo load`` of many or long files goes this way).
PARALLEL_MIN_DOCS = 400
PARALLEL_MIN_CHARS = 500_000

Key = Hashable

#: Keys taken out of an index are noted for this many generations of it (a process whose
#: cached filter fields are older loads them again).
GONE_KEPT = 10_000
#: A process's cached filter fields catch up with at most this many changed documents,
#: and at most a tenth of them (more: loaded again, which is then about as fast).
MAX_CATCH_UP = 5_000


def changes_since(since: int, generation: int, size: int, gone: Callable[[int], Iterable[tuple]],
                  written: Callable[[int], list[tuple]]) -> tuple[set[Key], list[tuple]] | None:
    """``(keys taken out, rows written)`` between generation ``since`` of an index of
    ``size`` documents (what a process keeps in memory) and ``generation``: ``gone(n)``
    and ``written(n)`` read at most ``n`` of either (``(key,)`` rows; the rows to
    cache). None when a process should read it whole instead: the changes are older
    than the notes of keys gone (:data:`GONE_KEPT`), or more than a tenth of the
    documents or :data:`MAX_CATCH_UP`."""
    if generation - since > GONE_KEPT:
        return None
    limit = min(MAX_CATCH_UP, max(100, size // 10))
    keys = {key for (key,) in gone(limit + 1)}
    rows = written(limit + 1)
    if len(keys) + len(rows) > limit:
        return None
    return keys, rows


class WordIndex(Protocol):
    """The primitives :func:`score` needs of a backend's word index, over one snapshot.

    An expression is a string in the backend's own query syntax, built only through
    these methods. Words are analysed words (:func:`indexer.segment.words`)."""

    def phrase(self, words: Sequence[str], prefix: bool = False) -> str:
        """The words in this order, side by side; ``prefix``: the last may be the start
        of a longer word."""

    def any_of(self, exprs: Sequence[str]) -> str:
        """Any of the expressions."""

    def all_of(self, exprs: Sequence[str]) -> str:
        """Every one of the expressions."""

    def near(self, a: str, b: str) -> str:
        """The phrases ``a`` and ``b`` (words separated by spaces) side by side, either order."""

    def word_scores(self, expr: str) -> dict[Key, float]:
        """key → score of each document matching ``expr`` (a new dict, the caller's to
        change); higher is better, title matches above tags, summary and body, rarer
        words above common ones."""

    def word_keys(self, expr: str) -> Iterable[Key]:
        """The keys of :meth:`word_scores`, found without scoring (cheaper)."""

    def terms_containing(self, subs: Sequence[str], limit: int) -> list[str]:
        """At most ``limit`` indexed words (Latin compounds left out) containing one of ``subs``."""

    def gram_scores(self, subs: Sequence[str]) -> Iterable[tuple[Key, float]]:
        """``(key, score)`` of the documents whose title or labels (:func:`gram_text`)
        contain one of ``subs``."""


# -- analysis (runs in worker processes during a rebuild) --------------------------------


def prepare_document(doc: IndexDocument) -> tuple[str, tuple[str, ...]]:
    """``(key, analyze(doc))``: the analysis made ahead of time, in another process (a
    loader's worker), for :attr:`IndexDocument.prepared`; ``key`` names the text it
    was made from (:func:`prepared_key`), so a document whose text changed since is
    analysed again."""
    return prepared_key(doc), analyze(doc)


def prepared_key(doc: IndexDocument) -> str:
    parts = (ANALYSIS_VERSION, doc.title, labels_text(doc), doc.summary or "", doc.searched_body())
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def ready(doc: IndexDocument) -> tuple[str, ...] | None:
    """The analysis :func:`prepare_document` made of ``doc``, if made from its text as it is now."""
    made = doc.prepared
    if isinstance(made, tuple) and len(made) == 2 and made[0] == prepared_key(doc):
        return made[1]
    return None


def analyze(doc: IndexDocument) -> tuple[str, ...]:
    """The text a word index indexes for ``doc``: :func:`analyze_fields` of its title, labels
    (tags and knowledge-item names), summary and body."""
    return analyze_fields(doc.title, labels_text(doc), doc.summary or "", doc.searched_body())


def analyze_fields(title: str, labels: str, summary: str, body: str) -> tuple[str, ...]:
    """The words of title, labels, summary and body (with the words that PDF spaces
    split put back whole and the Latin compounds, :func:`_field_text`), then the
    trigram text (:func:`gram_text`) of title + labels.

    An index may keep no copy of this text (SQLite's FTS5 ``content=''``) and delete a
    document by analysing its stored fields again, which gives the same text as long as
    the analysis is unchanged (:data:`indexer.segment.ANALYSIS_VERSION`)."""
    return (*map(_field_text, (title, labels, summary, body)), gram_text(title + " ; " + labels))


#: Between a field's words and its Latin compounds: a tokenizer skips the bar (neither
#: letter nor digit), so it costs no position (:func:`field_parts` splits there).
_COMPOUNDS = " | "


def _field_text(text: str) -> str:
    """The words of ``text`` joined by spaces, then its Latin compounds, if any
    (:func:`indexer.segment.document_words`)."""
    found, compounds = document_words(text)
    return " ".join(found) + (_COMPOUNDS + " ".join(compounds) if compounds else "")


def field_parts(text: str) -> tuple[str, str]:
    """``(words, compounds)`` of an analysed field (:func:`_field_text`), each as
    space-separated words."""
    found, _, compounds = text.partition(_COMPOUNDS)
    return found, compounds


def vocabulary(fields: Iterable[str]) -> set[str]:
    """The words of analysed fields but their Latin compounds: the vocabulary a query
    word is looked for inside (:func:`inside_scores`). "plan" inside "actionplan" would
    find only the entries that have "plan" already, and slowly."""
    return {t for text in fields for t in field_parts(text)[0].split()}


def files_json(attachments) -> str:
    """The attachments ``[(name, text), ...]`` as a JSON array of pairs (how both backends store them)."""
    return json.dumps([[name, text] for name, text in attachments], ensure_ascii=False)


def labels_text(doc: IndexDocument) -> str:
    """The document's labels (:meth:`IndexDocument.labels`) as one text."""
    return " ; ".join(doc.labels())


def gram_text(text: str) -> str:
    """``text`` normalised for the trigram table: spaces and dots between two Thai
    characters removed ("องค์ ความรู้" → "องค์ความรู้", "พ.ร.บ." → "พรบ"), as
    :func:`indexer.ngrams.runs` does for queries."""
    return _THAI_GAP_RE.sub("", normalize_text(text))


def analyzed(docs: list[IndexDocument], workers: int) -> Iterator[tuple[IndexDocument, tuple[str, ...]]]:
    """``(doc, analyze(doc))`` in order, computed by a pool of ``workers`` processes
    for large inputs (:data:`PARALLEL_MIN_DOCS`, :data:`PARALLEL_MIN_CHARS`; forked, so
    they share the already loaded dictionary)."""
    made = [ready(d) if d.prepared is not None else None for d in docs]
    todo = [d for d, r in zip(docs, made, strict=True) if r is None]
    if len(todo) < len(docs):  # analysed ahead of time: only the rest here, in order
        done = iter(list(analyzed(todo, workers)))
        for doc, r in zip(docs, made, strict=True):
            yield (doc, r) if r is not None else next(done)
        return
    large = len(docs) >= PARALLEL_MIN_DOCS or sum(len(d.body or "") for d in docs) >= PARALLEL_MIN_CHARS
    if workers < 2 or not large or "fork" not in multiprocessing.get_all_start_methods():
        for doc in docs:
            yield doc, analyze(doc)
        return
    segmenter()  # built before forking: the workers inherit it
    synonyms()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        chunk = max(1, min(32, len(docs) // (workers * 4)))
        yield from zip(docs, pool.imap(analyze, docs, chunksize=chunk), strict=True)


def batches(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


_THAI_GAP_RE = re.compile(r"(?<=[\u0e01-\u0e4f])[ .]+(?=[\u0e01-\u0e4f])")


# -- filters and facets ---------------------------------------------------------------


class FieldCache:
    """The filter fields of every document, read from ``rows`` (an iterable of
    ``(key, type, department, items, fiscal_year, visibility, featured, dated)``, items
    comma-separated, dated a sortable string), held in memory: ``rows``
    (key → (type, department, knowledge items, fiscal year, visibility, featured,
    updated)), ``updated`` (key → ISO time), ``featured`` (keys), and for each
    filter field the keys holding each value (so filters and facet counts are set
    operations)."""

    def __init__(self, rows: Iterable[tuple]):
        self.rows: dict[Key, tuple] = {}
        self.by_value: dict[str, dict[str, set[Key]]] = {name: {} for name in FILTER_FIELDS}
        for key, *fields in rows:
            items = tuple(filter(None, fields[2].split(",")))
            row = (fields[0], fields[1], items, fields[3], fields[4], fields[5], fields[6])
            self.rows[key] = row
            for name, value in _values(row):
                self.by_value[name].setdefault(value, set()).add(key)
        self.updated = {r: row[6] for r, row in self.rows.items()}
        self.featured = {r for r, row in self.rows.items() if row[5]}

    def changed(self, removed: Iterable[Key], rows: Iterable[tuple]) -> FieldCache:
        """A copy with the documents ``removed`` taken out and ``rows`` (as for the
        constructor) put in or replacing theirs; this one is left as it was (searches
        in other threads may be reading it). Costs the changes and a copy of the
        dictionaries, not a reading of every document."""
        new = FieldCache(rows)
        gone = set(removed) | new.rows.keys()
        touched: dict[str, set[str]] = {name: set() for name in self.by_value}  # the values the gone held
        for key in gone & self.rows.keys():
            for name, value in _values(self.rows[key]):
                touched[name].add(value)
        out = FieldCache(())
        out.rows = {k: row for k, row in self.rows.items() if k not in gone} if gone else dict(self.rows)
        out.rows.update(new.rows)
        for name, index in self.by_value.items():
            merged = dict(index)
            for value in touched[name]:
                merged[value] = merged[value] - gone
            for value, keys in new.by_value[name].items():
                merged[value] = merged.get(value, set()) | keys
            out.by_value[name] = {v: keys for v, keys in merged.items() if keys}
        out.updated = {k: v for k, v in self.updated.items() if k not in gone}
        out.updated.update(new.updated)
        out.featured = (self.featured - gone) | new.featured
        return out

    def matching(self, filters: dict[str, Sequence[str]]) -> set[Key] | None:
        """keys whose fields match every filter (any of its values); None when the
        filters leave every document in."""
        keep: set[Key] | None = None
        for name, values in filters.items():
            allowed = {str(v) for v in values if str(v)}
            if not allowed:
                continue
            index = self.by_value[name]
            found = set().union(*(index.get(v, ()) for v in allowed))
            keep = found if keep is None else keep & found
        return None if keep is not None and len(keep) == len(self.rows) else keep

    def facets(self, keys) -> dict[str, dict[str, int]]:
        """For each filter field, value → how many of ``keys`` have it (values none
        of them has are left out)."""
        hits = set(keys)
        out: dict[str, dict[str, int]] = {}
        if len(hits) * 2 > len(self.rows):  # most documents: count what is missing, the smaller set
            misses = self.rows.keys() - hits
            for name, index in self.by_value.items():
                counts = {v: len(members) - len(members & misses) for v, members in index.items()}
                out[name] = {v: n for v, n in counts.items() if n}
            return out
        for name, index in self.by_value.items():
            counts = {v: len(members & hits) for v, members in index.items()}
            out[name] = {v: n for v, n in counts.items() if n}
        return out


_COLUMNS = {"type": 0, "department": 1, "knowledge_item": 2, "fiscal_year": 3, "visibility": 4}


def _values(row: tuple) -> Iterator[tuple[str, str]]:
    """``(filter field, value)`` of each value a :class:`FieldCache` row holds."""
    for name, col in _COLUMNS.items():
        for value in (row[col] if name == "knowledge_item" else (row[col],)):
            if value:
                yield name, value


# -- scoring ----------------------------------------------------------------------------


def _part_words(part: QueryPart) -> list[str]:
    return words(part.text)


def word_expression(m: WordIndex, toks: list[str], phrase: bool, relaxed: bool) -> str | None:
    """The expression, in ``m``'s syntax, over the word index for one reading ``toks``
    of a typed chunk: all its words (any, when ``relaxed``), or the phrase, each
    word or abbreviation also as any of its synonyms (:func:`slot_expression`)."""
    if not toks:
        return None
    slots = synonyms().query_slots(toks)
    if len(slots) > 1 and phrase:
        return m.phrase(toks)
    exprs = [slot_expression(m, slot) for slot in slots]
    return m.any_of(exprs) if relaxed else m.all_of(exprs)


def slot_expression(m: WordIndex, slot: tuple[tuple[str, ...], ...]) -> str:
    """The expression matching any variant of ``slot``; a pair
    :func:`~indexer.synonyms.open_ended` is a phrase whose last word is a prefix
    ("วิธี การ"* finds "วิธี|การบริหาร" for "วิธีการ")."""
    return m.any_of([m.phrase(v, prefix=open_ended(slot, v)) for v in slot])


def slots_of(part: QueryPart) -> list[tuple[tuple[str, ...], ...]]:
    """The word slots a document must fill to match ``part``
    (:meth:`indexer.synonyms.Synonyms.query_slots`)."""
    return synonyms().query_slots(_part_words(part))


def single_words(slots: list[tuple[tuple[str, ...], ...]]) -> list[str]:
    """The variants of ``slots`` that are one word (those a slot's word query finds whole)."""
    return [v[0] for slot in slots for v in slot if len(v) == 1]


def inside_scores(m: WordIndex, subs: list[str], searched: Iterable[str] = ()) -> dict[Key, float]:
    """key → score of the documents where one of ``subs`` (normalised strings of at
    least three characters, without spaces) occurs inside an indexed word (at most
    :data:`MAX_EXPANSION` such words are tried) or anywhere in the title, tags or
    knowledge-item names.

    ``searched``: words the caller has already looked up as whole words; they are not
    searched again (for a common word such as "ภายใน" that would double the search's
    time to find only documents the caller has)."""
    return _inside_found(m, *_inside(m, subs, searched))


def _inside(m: WordIndex, subs: list[str], searched: Iterable[str]) -> tuple[str | None, list[str]]:
    """``(expression, subs)`` of :func:`inside_scores`: the longer indexed words to
    search (None: none), and the strings to look for in titles and labels."""
    subs = [x for x in subs if len(x) >= 3 and " " not in x]
    if not subs:
        return None, []
    skip = set(searched)
    terms = [t for t in m.terms_containing(subs, MAX_EXPANSION) if t not in skip]
    return (m.any_of([m.phrase([t]) for t in terms]) if terms else None), subs


def _inside_found(m: WordIndex, expr: str | None, subs: list[str]) -> dict[Key, float]:
    """key → score of the documents holding one of the longer words of ``expr`` or, in
    their title or labels, one of ``subs`` (the better of the two): :func:`_inside`'s."""
    found: dict[Key, float] = m.word_scores(expr) if expr else {}
    for key, score in m.gram_scores(subs) if subs else ():
        found[key] = max(found.get(key, 0.0), score)
    return found


def widened_scores(m: WordIndex, part: QueryPart) -> dict[Key, float]:
    """Like :func:`part_scores` but each word (or synonym) of ``part`` may also be
    found inside a longer word."""
    total: dict[Key, float] | None = None
    for slot in slots_of(part):
        found = m.word_scores(slot_expression(m, slot))
        for key, score in inside_scores(m, ["".join(v) for v in slot], single_words([slot])).items():
            found[key] = max(found.get(key, 0.0), GRAM_WEIGHT * score)
        total = found if total is None else _sum_of_both(total, found)
        if not total:
            return {}
    return total or {}


def _sum_of_both(total: dict[Key, float], more: dict[Key, float]) -> dict[Key, float]:
    """key → ``total[key] + more[key]`` for the keys in both, looked up from the smaller side."""
    if len(more) < len(total):
        return {r: total[r] + s for r, s in more.items() if r in total}
    return {r: s + more[r] for r, s in total.items() if r in more}


class _Ways(NamedTuple):
    """The ways a document matches one typed chunk (:func:`part_scores`), best first:
    the expression of each reading (the first that matches gives the score), then
    ``inside``, longer words containing it, and ``grams``, strings its title or labels
    may contain (either scores :data:`GRAM_WEIGHT` of its match)."""

    readings: list[str]
    inside: str | None
    grams: list[str]


def _ways(m: WordIndex, part: QueryPart, relaxed: bool) -> _Ways | None:
    """The :class:`_Ways` ``part`` matches; None when a reading has no words to search
    (then nothing matches it). ``relaxed``: any word of the first reading will do."""
    exprs = []
    for i, toks in enumerate(readings(part.text)):
        # All the words of another reading, even when ``relaxed``: any one of them, a
        # lone "การ", would let in every document.
        expr = word_expression(m, toks, part.phrase, relaxed and i == 0)
        if expr is None:
            return None
        exprs.append(expr)
    gram = gram_text(part.text).strip()
    if len(gram) == 2 and is_thai(gram[0]):
        # A two-letter Thai word ("ลา", "ผล") also as the start of longer words (ลาป่วย).
        return _Ways(exprs, m.phrase([gram], prefix=True), [])
    slots = slots_of(part)
    return _Ways(exprs, *_inside(m, [gram, *inside_variants(slots)], single_words(slots)))


def part_scores(m: WordIndex, part: QueryPart, relaxed: bool) -> dict[Key, float]:
    """key → score of every document matching ``part``: its word score for the first
    of the chunk's :func:`~indexer.segment.readings` it matches (when ``relaxed``: any
    word of the first reading, or all of another), or for documents where the chunk is
    found only inside longer words (or, for a two-letter Thai word, only as the start
    of longer words) :data:`GRAM_WEIGHT` of that score."""
    ways = _ways(m, part, relaxed)
    if ways is None:
        return {}
    scores: dict[Key, float] = {}
    for expr in ways.readings:
        found = m.word_scores(expr)
        scores = found | scores if scores else found  # the first reading's score wins
    inside = _inside_found(m, ways.inside, ways.grams)
    for key in inside.keys() - scores.keys():
        scores[key] = GRAM_WEIGHT * inside[key]
    return scores


def part_keys(m: WordIndex, part: QueryPart) -> set[Key]:
    """The keys of :func:`part_scores` (not relaxed), found without scoring: the
    documents a query's excluded part (``-ประชาคม``) takes out."""
    ways = _ways(m, part, False)
    if ways is None:
        return set()
    found = set().union(*(m.word_keys(expr) for expr in ways.readings))
    if ways.inside:
        found.update(m.word_keys(ways.inside))
    if ways.grams:
        found.update(key for key, _ in m.gram_scores(ways.grams))
    return found


def score(m: WordIndex, parsed: ParsedQuery, relaxed: bool, featured: set,
          widened: bool = False) -> dict[Key, float]:
    """key → score for the required parts: all of them (or any, ``relaxed``), scores
    summed, plus the scores of the optional parts found (question words), the proximity
    bonus and the featured lift. ``widened``: words may also
    be found inside longer words (:func:`widened_scores`)."""
    total: dict[Key, float] | None = None
    for part in parsed.required:
        widen = widened and not part.phrase and len(slots_of(part)) > 1
        scores = widened_scores(m, part) if widen else part_scores(m, part, relaxed)
        if total is None:
            total = scores
        elif relaxed:
            for r, s in scores.items():
                total[r] = total.get(r, 0.0) + s
        else:
            total = _sum_of_both(total, scores)
        if not total and not relaxed:
            return {}
    total = total or {}
    for part in parsed.optional:
        expr = word_expression(m, _part_words(part), False, False)
        for key, score in m.word_scores(expr).items() if expr and total else ():
            if key in total:
                total[key] += score
    clauses = [m.near(a, b) for a, b in synonyms().proximity_pairs(parsed.required)]
    if clauses and total:
        for key, score in m.word_scores(m.any_of(clauses)).items():
            if key in total:
                total[key] += PROXIMITY_BOOST + PROXIMITY_WEIGHT * score
    for key in featured.intersection(total):
        total[key] += FEATURED_BOOST
    return total


def match(m: WordIndex, parsed: ParsedQuery, tier: str, featured: set) -> dict[Key, float] | None:
    """:meth:`indexer.backend.IndexReader.match` over a word index: ``all``:
    :func:`score`; ``inside``: the same with each word also inside longer words, where
    a part has several words (a one-word part is already looked for inside longer words
    at ``all``), else None; ``some``: any of the words."""
    if tier == "inside":
        if not any(len(slots_of(p)) > 1 and not p.phrase for p in parsed.required):
            return None
        return score(m, parsed, False, featured, widened=True)
    return score(m, parsed, tier == "some", featured)
