"""The embedded search backend: a Whoosh index in a folder.

Whoosh here means the Whoosh-Reloaded distribution (imported as ``whoosh``); it is no
longer maintained, so nothing outside this module imports it.

Ranking is BM25F over the Thai word fields, title weighing most, then tags, summary and
body; multi-word queries earn a bonus where the words stand close together; trigram
fields (see :mod:`indexer.ngrams`) find words inside compounds and names the dictionary
does not know, ranked below whole-word matches.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from whoosh import index, query, sorting, writing
from whoosh.analysis import Composable
from whoosh.analysis import Token as WhooshToken
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, TEXT, Schema
from whoosh.scoring import BM25F

from .backend import FILTER_FIELDS, WIDEN_BELOW, Hit, IndexDocument, Progress, SearchRequest, SearchResults
from .ngrams import is_thai, ngram_tokens, ngrams
from .query import ParsedQuery, QueryPart, can_relax, parse_query, split_compounds
from .segment import ANALYSIS_VERSION, Token, iter_tokens, readings, words
from .snippets import highlight_terms, hit_html
from .vocabulary import fingerprint, inside_variants, synonyms

#: Bump when the schema or the analysis changes: an older index is then rebuilt.
SCHEMA_VERSION = "7"
_VERSION_FILE = "kmrepo-schema-version"

# Field weights for BM25F. Whole words in the title count most; trigram matches least.
WORD_FIELDS = {"title": 4.0, "tags": 3.0, "summary": 2.0, "body": 1.0}
GRAM_FIELDS = {"title_ng": 1.0, "body_ng": 0.35}
PROXIMITY_BOOST = 2.0
#: A small lift for entries the KM corner features (added to the score, not multiplied).
FEATURED_BOOST = 0.5


class _Tokenizer(Composable):
    """Whoosh adapter for a kmrepo token function (``"words"``: the words of a document,
    :func:`indexer.segment.iter_tokens` with its Latin joins; ``"trigrams"``:
    :func:`indexer.ngrams.ngram_tokens`).

    The function is named rather than held, so the schema Whoosh pickles stays small.
    """

    is_morph = False
    _functions: ClassVar[dict] = {"words": partial(iter_tokens, joins=True), "trigrams": ngram_tokens}

    def __init__(self, kind: str):
        self.kind = kind

    def __eq__(self, other):
        return isinstance(other, _Tokenizer) and other.kind == self.kind

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        source = self._functions[self.kind](value) if tokenize else [Token(value, 0, len(value), 0)]
        for tok in source:
            t.text, t.boost, t.stopped = tok.text, 1.0, False
            if keeporiginal:
                t.original = value[tok.start : tok.end]
            if positions:
                t.pos = start_pos + tok.pos
            if chars:
                t.startchar, t.endchar = start_char + tok.start, start_char + tok.end
            yield t


def build_schema() -> Schema:
    """The index schema (fields and weights); see the module docstring."""
    words_an = _Tokenizer("words")
    grams_an = _Tokenizer("trigrams")
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=words_an, stored=True, field_boost=WORD_FIELDS["title"]),
        tags=TEXT(analyzer=words_an, field_boost=WORD_FIELDS["tags"]),
        summary=TEXT(analyzer=words_an, stored=True, field_boost=WORD_FIELDS["summary"]),
        body=TEXT(analyzer=words_an, stored=True, field_boost=WORD_FIELDS["body"]),
        title_ng=TEXT(analyzer=grams_an, field_boost=GRAM_FIELDS["title_ng"]),
        body_ng=TEXT(analyzer=grams_an, field_boost=GRAM_FIELDS["body_ng"]),
        type=ID(stored=True, sortable=True),
        department=ID(stored=True, sortable=True),
        knowledge_item=KEYWORD(stored=True, commas=True, scorable=False),
        fiscal_year=ID(stored=True, sortable=True),
        visibility=ID(stored=True),
        featured=BOOLEAN(stored=True),
        updated=DATETIME(stored=True, sortable=True),
    )


class WhooshBackend:
    """A :class:`indexer.backend.SearchBackend` storing a Whoosh index in ``path``.

    The folder is created when missing. An index from another :data:`SCHEMA_VERSION`,
    analysis (:data:`indexer.segment.ANALYSIS_VERSION`) or vocabulary is replaced by an
    empty one and :attr:`needs_rebuild` is True until :meth:`rebuild`.
    Writes are serialised by a lock (threads) and Whoosh's file lock (processes; a writer
    waits up to ``lock_timeout`` seconds, then raises ``whoosh.index.LockError``).
    """

    def __init__(self, path: str, lock_timeout: float = 30.0):
        self.path = path
        self.lock_timeout = lock_timeout
        self._write_lock = threading.Lock()
        self._needs_rebuild = False
        self._local = threading.local()
        self._ix = self._open()

    # -- opening -------------------------------------------------------------------

    def _open(self):
        version_file = os.path.join(self.path, _VERSION_FILE)
        if index.exists_in(self.path) and _read(version_file) == _version():
            return index.open_dir(self.path)
        self._needs_rebuild = True
        if os.path.isdir(self.path):
            shutil.rmtree(self.path)
        os.makedirs(self.path, exist_ok=True)
        ix = index.create_in(self.path, build_schema())
        with open(version_file, "w", encoding="ascii") as fh:
            fh.write(_version())
        return ix

    @property
    def needs_rebuild(self) -> bool:
        """True when the index on disk was missing or stale when opened."""
        return self._needs_rebuild

    def _searcher(self):
        """This thread's searcher, moved on to the latest commit. Kept between searches:
        opening one reads the term files, about 75 ms at 10,000 entries."""
        current = getattr(self._local, "searcher", None)
        if current is None:
            current = self._ix.searcher(weighting=BM25F())
        else:
            current = current.refresh()  # the same searcher when nothing was committed
        self._local.searcher = current
        return current

    # -- writing -------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDocument]) -> int:
        """Insert or replace ``docs`` by id, in one commit. Returns how many."""
        docs = list(docs)
        if not docs:
            return 0
        with self._write_lock:
            w = self._ix.writer(timeout=self.lock_timeout)
            try:
                for doc in docs:
                    w.update_document(**_fields(doc))
            except BaseException:
                w.cancel()
                raise
            w.commit()
        return len(docs)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the documents with these ids (unknown ids are ignored)."""
        ids = list(ids)
        if not ids:
            return 0
        with self._write_lock:
            w = self._ix.writer(timeout=self.lock_timeout)
            n = sum(w.delete_by_term("id", i) for i in ids)
            w.commit()
        return n

    def rebuild(self, docs: Iterable[IndexDocument], progress: Progress | None = None) -> int:
        """Replace every document with ``docs`` in a single commit (atomic for readers)."""
        n = 0
        with self._write_lock:
            w = self._ix.writer(timeout=self.lock_timeout, limitmb=256)
            try:
                for doc in docs:
                    w.add_document(**_fields(doc))
                    n += 1
                    if progress and n % 50 == 0:
                        progress(50)
            except BaseException:
                w.cancel()
                raise
            w.commit(mergetype=writing.CLEAR)
            if progress and n % 50:
                progress(n % 50)
            self._needs_rebuild = False
        return n

    def terms(self) -> dict[str, int]:
        """Every Thai word of the title and body fields with its document frequency
        (the vocabulary "did you mean" corrects towards)."""
        out: dict[str, int] = {}
        with self._ix.searcher() as s:
            reader = s.reader()
            for fieldname in ("title", "body"):
                for word, info in reader.iter_field(fieldname):
                    w = word.decode("utf-8") if isinstance(word, bytes) else word
                    if is_thai(w[0]):
                        out[w] = max(out.get(w, 0), info.doc_frequency())
        return out

    def count(self) -> int:
        """The number of documents in the index."""
        with self._ix.searcher() as s:
            return s.doc_count()

    # -- searching -----------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Rank the documents that match ``request`` (see :mod:`indexer.query`)."""
        parsed = synonyms().join_parts(parse_query(request.text))
        flt = _filter_query(request.filters)
        limit = max(1, min(request.limit, 100))
        offset = max(0, request.offset)
        searcher = self._searcher()
        # At least WIDEN_BELOW hits, so all of them are known when partial ones follow.
        fetch = max(offset + limit, WIDEN_BELOW)
        q, strict_possible = _build_query(parsed, relaxed=False, body_grams=False)
        results = self._run(searcher, q, flt, request.sort, fetch)
        if len(results) < WIDEN_BELOW:
            # Few entries: look inside the words of the bodies too (the body trigrams
            # cost a common word seconds at 10,000 entries, so only when needed).
            q, strict_possible = _build_query(parsed, relaxed=False)
            results = self._run(searcher, q, flt, request.sort, fetch)
        page = list(results[offset : offset + limit])
        relaxed = False
        if len(results) < WIDEN_BELOW and strict_possible:
            # Entries with only some of the words, after those with all of them.
            strict = [h["id"] for h in results]
            q, _ = _build_query(parsed, relaxed=True)
            results = self._run(searcher, q, flt, request.sort, offset + limit + len(strict))
            ranked = list(results)
            if request.sort != "date":
                order = {doc_id: i for i, doc_id in enumerate(strict)}
                ranked.sort(key=lambda h: order.get(h["id"], len(order)))  # stable: partial ones keep their order
            page = ranked[offset : offset + limit]
            relaxed = not strict and bool(ranked)
        if not len(results) and (split := split_compounds(parsed)):
            # Nothing has the compound typed: entries with its words, any of them.
            parsed = split
            q, _ = _build_query(split, relaxed=True)
            results = self._run(searcher, q, flt, request.sort, offset + limit)
            page = list(results[offset : offset + limit])
            relaxed = bool(page)
        terms, subs = highlight_terms(parsed)
        browsing = isinstance(q, query.Every)
        hits = [_hit(h, terms, subs, browsing) for h in page]
        facets = {name: _facet_counts(results, name) for name in FILTER_FIELDS}
        return SearchResults(total=len(results), hits=hits, facets=facets, relaxed=relaxed)

    def _run(self, searcher, q, flt, sort, limit):
        groupedby = {name: sorting.FieldFacet(name, allow_overlap=(name == "knowledge_item"))
                     for name in FILTER_FIELDS}
        kwargs = {"limit": limit, "filter": flt, "groupedby": groupedby, "maptype": sorting.Count}
        if sort == "date" or isinstance(q, query.Every):
            kwargs.update(sortedby="updated", reverse=True)
        return searcher.search(q, **kwargs)


# -- helpers -------------------------------------------------------------------------


def _version() -> str:
    """What an index must have been built with: the schema, analysis and vocabulary."""
    return f"{SCHEMA_VERSION}:{ANALYSIS_VERSION}:{fingerprint()}"


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _fields(doc: IndexDocument) -> dict:
    updated = doc.updated_at or datetime(1970, 1, 1)
    if updated.tzinfo is not None:
        updated = updated.astimezone(UTC).replace(tzinfo=None)
    tags = " ; ".join(doc.labels())
    return {
        "id": doc.id,
        "title": doc.title,
        "tags": tags,
        "summary": doc.summary or "",
        "body": doc.body or "",
        "title_ng": doc.title + " " + tags,
        "body_ng": doc.body or "",
        "type": doc.type or "",
        "department": doc.department or "",
        "knowledge_item": ",".join(doc.knowledge_items),
        "fiscal_year": str(doc.fiscal_year) if doc.fiscal_year else "",
        "visibility": doc.visibility,
        "featured": doc.featured,
        "updated": updated,
    }


def _filter_query(filters: dict[str, Sequence[str]]):
    clauses = []
    for name, values in filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter field {name!r}")
        values = [str(v) for v in values if str(v)]
        if values:
            clauses.append(query.Or([query.Term(name, v) for v in values]))
    return query.And(clauses) if clauses else None


def _part_query(part: QueryPart, relaxed: bool, body_grams: bool = True):
    """The query for one typed chunk: whole words of any of its readings
    (:func:`~indexer.segment.readings`; all the words, or a phrase), each word or
    abbreviation also as any of its synonyms (:mod:`indexer.vocabulary`), or the chunk
    (and its :func:`~indexer.vocabulary.inside_variants`) as a substring through the
    trigram fields (the title's only, unless ``body_grams``)."""
    first, *others = readings(part.text)
    if not first:
        return None
    word_query = _reading_query(first, part.phrase, relaxed)
    for toks in others:
        # All the words of another reading, even when ``relaxed``: any one of them, a
        # lone "การ", would let in every document. Scored by it only where the
        # readings before miss, never twice.
        q = _reading_query(toks, part.phrase, False)
        word_query = query.Or([word_query, query.AndNot(q, word_query)])
    alternatives = [word_query]
    gram_fields = list(GRAM_FIELDS) if body_grams else ["title_ng"]
    for text in dict.fromkeys([part.text, *inside_variants(synonyms().query_slots(first))]):
        grams = ngrams(text)
        if grams and len(grams[0]) >= 3:
            alternatives.append(query.Or([_phrase(f, grams) for f in gram_fields]))
        elif len(grams) == 1 and len(grams[0]) == 2 and is_thai(grams[0][0]):
            # A two-letter Thai word ("ลา", "ผล") inside longer words: trigrams starting with it.
            alternatives.append(query.Or([query.Prefix(f, grams[0]) for f in gram_fields]))
    return query.Or(alternatives)


def _reading_query(toks: list[str], phrase: bool, relaxed: bool):
    """The words of one reading of a chunk, in any word field: all of them (any, when
    ``relaxed``), or the phrase."""
    word_fields = list(WORD_FIELDS)
    slots = synonyms().query_slots(toks)
    if len(slots) == 1:
        return _slot_query(slots[0], word_fields)
    if phrase:
        return query.Or([_phrase(f, toks) for f in word_fields])
    per_slot = [_slot_query(slot, word_fields) for slot in slots]
    return query.Or(per_slot) if relaxed else query.And(per_slot)


def _slot_query(slot: tuple[tuple[str, ...], ...], fields: list[str]):
    """Any of a slot's word sequences, as a phrase, in any of ``fields``.

    Pairs :func:`~indexer.vocabulary.open_ended` stay exact here: a phrase ending in a
    prefix ("วิธี" + การ…) is matched in pure Python over every word starting with
    การ, which cost a common query seconds at 10,000 entries. The body trigrams find
    such words when few entries match (:meth:`WhooshBackend.search`)."""
    return query.Or([_phrase(f, list(variant)) for variant in slot for f in fields])


def _proximity_bonus(parsed: ParsedQuery):
    """Extra score where the query's words stand together: each pair of
    :meth:`~indexer.vocabulary.Synonyms.proximity_pairs` found side by side, and, with
    two pairs or more, all the words within a dozen words."""
    pairs = synonyms().proximity_pairs(parsed.required)
    if not pairs:
        return None
    clauses = [query.Phrase(f, [a, b], slop=1, boost=PROXIMITY_BOOST) for a, b in pairs for f in ("title", "body")]
    if len(pairs) > 1:
        toks = [t for p in parsed.required for t in words(p.text)]
        clauses += [query.Phrase(f, toks, slop=12, boost=PROXIMITY_BOOST) for f in ("title", "body")]
    return query.Or(clauses)


def _phrase(fieldname: str, toks: list[str]):
    return query.Term(fieldname, toks[0]) if len(toks) == 1 else query.Phrase(fieldname, toks)


def _build_query(parsed: ParsedQuery, relaxed: bool, body_grams: bool = True):
    """Return ``(query, relaxable)``; ``relaxable`` is True when a relaxed (any word)
    form of the query could find more (:func:`indexer.query.can_relax`).
    ``body_grams``: see :func:`_part_query` (exclusions always use them)."""
    required = [q for q in (_part_query(p, relaxed, body_grams) for p in parsed.required) if q is not None]
    excluded = [q for q in (_part_query(p, False) for p in parsed.excluded) if q is not None]
    if not required:
        positive = query.Every()
        relaxable = False
    else:
        positive = query.Or(required) if relaxed else query.And(required)
        relaxable = can_relax(parsed)
        optional = [_reading_query(toks, False, False) for p in parsed.optional if (toks := words(p.text))]
        if optional:
            positive = query.AndMaybe(positive, query.Or(optional))
        bonus = _proximity_bonus(parsed)
        if bonus is not None:
            positive = query.AndMaybe(positive, bonus)
        positive = query.AndMaybe(positive, query.Term("featured", True, boost=FEATURED_BOOST))
    if excluded:
        positive = query.AndNot(positive, query.Or(excluded))
    return positive, relaxable


def _hit(h, terms: set[str], subs: set[str], browsing: bool) -> Hit:
    title_html, snippet_html = hit_html(h.get("title", ""), h.get("body") or "", h.get("summary") or "", terms, subs)
    score = 0.0 if browsing else float(h.score or 0.0)
    return Hit(id=h["id"], score=score, title_html=title_html, snippet_html=snippet_html)


def _facet_counts(results, name: str) -> dict[str, int]:
    try:
        groups = results.groups(name)
    except KeyError:
        return {}
    return {k: v for k, v in groups.items() if k}
