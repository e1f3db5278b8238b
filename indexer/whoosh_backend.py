"""The embedded search backend: a Whoosh index in a folder.

Whoosh here means the Whoosh-Reloaded distribution (imported as ``whoosh``); it is no
longer maintained, so nothing outside this module imports it.

Ranking is BM25F over the Thai word fields, title weighing most, then tags, summary and
body; multi-word queries earn a bonus where the words stand close together; trigram
fields (see :mod:`indexer.ngrams`) find words inside compounds and names the dictionary
does not know, ranked below whole-word matches.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from whoosh import index, query, sorting, writing
from whoosh.analysis import Composable
from whoosh.analysis import Token as WhooshToken
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.scoring import BM25F

from .backend import FILTER_FIELDS, IndexDocument, Progress, TieredSearch, index_version, stamp
from .ngrams import is_thai, ngram_tokens, ngrams
from .query import ParsedQuery, QueryPart
from .segment import Token, iter_tokens, readings, words
from .synonyms import inside_variants, synonyms

#: Bump when the schema or the analysis changes: an older index is then rebuilt.
SCHEMA_VERSION = "9"
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
        body=TEXT(analyzer=words_an, field_boost=WORD_FIELDS["body"]),
        body_text=STORED(),
        files=STORED(),
        title_ng=TEXT(analyzer=grams_an, field_boost=GRAM_FIELDS["title_ng"]),
        body_ng=TEXT(analyzer=grams_an, field_boost=GRAM_FIELDS["body_ng"]),
        type=ID(stored=True, sortable=True),
        department=ID(stored=True, sortable=True),
        knowledge_item=KEYWORD(stored=True, commas=True, scorable=False),
        fiscal_year=ID(stored=True, sortable=True),
        visibility=ID(stored=True),
        featured=BOOLEAN(stored=True),
        updated=DATETIME(stored=True, sortable=True),
        dated=DATETIME(sortable=True),
    )


class WhooshBackend(TieredSearch):
    """A :class:`indexer.backend.SearchBackend` storing a Whoosh index in ``path``;
    searches through the shared policy (:class:`indexer.backend.TieredSearch`).

    The folder is created when missing. An index from another :data:`SCHEMA_VERSION`,
    analysis (:data:`indexer.segment.ANALYSIS_VERSION`) or vocabulary is replaced by an
    empty one and :attr:`needs_rebuild` is True until :meth:`rebuild`.
    Writes are serialised by a lock (threads) and Whoosh's file lock (processes; a writer
    waits up to ``lock_timeout`` seconds, then raises ``whoosh.index.LockError``).
    """

    #: Whoosh analyses while it writes: nothing is prepared ahead of time.
    prepare = None

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
        if current is not None and not current.up_to_date():
            # Not Searcher.refresh(): it reuses the readers of segments it thinks
            # unchanged, and so misses deletions from them (an updated document showed
            # twice, its old version first, after a search between two updates).
            current.close()
            current = None
        if current is None:
            current = self._ix.searcher(weighting=BM25F())
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

    def stamps(self) -> dict[str, str]:
        """Every document's id and :func:`indexer.backend.stamp`."""
        with self._ix.searcher() as s:
            return {f["id"]: stamp(f.get("updated")) for f in s.reader().all_stored_fields()}

    def count(self) -> int:
        """The number of documents in the index."""
        with self._ix.searcher() as s:
            return s.doc_count()

    # -- searching -----------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[_Reader]:
        """An :class:`indexer.backend.IndexReader` over this thread's searcher."""
        yield _Reader(self._searcher())


class _Reader:
    """The primitives of :class:`indexer.backend.IndexReader` over one Whoosh searcher;
    keys are document numbers."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._updated = searcher.reader().column_reader("dated")

    def keys(self):
        return list(self.searcher.reader().all_doc_ids())

    def matching(self, filters):
        flt = _filter_query(filters)
        return None if flt is None else set(self.searcher.docs_for_query(flt))

    def match(self, parsed: ParsedQuery, tier: str, keep) -> dict[int, float] | None:
        """``all``: whole words, or the chunk inside the words of titles and labels
        (title trigrams); ``inside``: inside the words of bodies too (body trigrams,
        which cost a common word seconds at 10,000 entries, so only when few entries
        matched); ``some``: any of the words, body trigrams included."""
        q = _build_query(parsed, relaxed=tier == "some", body_grams=tier != "all")
        if q is None:
            return {}
        results = self.searcher.search(q, limit=None, filter=keep)
        return {docnum: float(score or 0.0) for docnum, score in results.items()}

    def excluded(self, part: QueryPart):
        q = _part_query(part, False)
        return self.searcher.docs_for_query(q) if q is not None else ()

    def updated(self, key: int):
        return self._updated[key]

    def facets(self, keys):
        if not keys:
            return {name: {} for name in FILTER_FIELDS}
        groupedby = {name: sorting.FieldFacet(name, allow_overlap=(name == "knowledge_item"))
                     for name in FILTER_FIELDS}
        results = self.searcher.search(query.Every(), filter=set(keys), groupedby=groupedby,
                                       maptype=sorting.Count, limit=1)
        return {name: _facet_counts(results, name) for name in FILTER_FIELDS}

    def stored(self, keys):
        out = {}
        for key in keys:
            f = self.searcher.stored_fields(key)
            out[key] = (f["id"], f.get("title", ""), f.get("summary") or "", f.get("body_text") or "",
                        [tuple(x) for x in json.loads(f.get("files") or "[]")])
        return out


# -- helpers -------------------------------------------------------------------------


def _version() -> str:
    """What an index must have been built with (:func:`indexer.backend.index_version`)."""
    return index_version(SCHEMA_VERSION)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


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
        "body": doc.searched_body(),
        "body_text": doc.body or "",
        "files": json.dumps([list(a) for a in doc.attachments], ensure_ascii=False),
        "title_ng": doc.title + " " + tags,
        "body_ng": doc.searched_body(),
        "type": doc.type or "",
        "department": doc.department or "",
        "knowledge_item": ",".join(doc.knowledge_items),
        "fiscal_year": str(doc.fiscal_year) if doc.fiscal_year else "",
        "visibility": doc.visibility,
        "featured": doc.featured,
        "updated": updated,
        "dated": _naive(doc.dated) if doc.dated else updated,
    }


def _filter_query(filters: dict[str, Sequence[str]]):
    clauses = []
    for name, values in filters.items():
        values = [str(v) for v in values if str(v)]
        if values:
            clauses.append(query.Or([query.Term(name, v) for v in values]))
    return query.And(clauses) if clauses else None


def _part_query(part: QueryPart, relaxed: bool, body_grams: bool = True):
    """The query for one typed chunk: whole words of any of its readings
    (:func:`~indexer.segment.readings`; all the words, or a phrase), each word or
    abbreviation also as any of its synonyms (:mod:`indexer.synonyms`), or the chunk
    (and its :func:`~indexer.synonyms.inside_variants`) as a substring through the
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

    Pairs :func:`~indexer.synonyms.open_ended` stay exact here: a phrase ending in a
    prefix ("วิธี" + การ…) is matched in pure Python over every word starting with
    การ, which cost a common query seconds at 10,000 entries. The body trigrams find
    such words when few entries match (:meth:`WhooshBackend.search`)."""
    return query.Or([_phrase(f, list(variant)) for variant in slot for f in fields])


def _proximity_bonus(parsed: ParsedQuery):
    """Extra score where the query's words stand together: each pair of
    :meth:`~indexer.synonyms.Synonyms.proximity_pairs` found side by side, and, with
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
    """The query for the required parts of ``parsed``: all of them (any, when
    ``relaxed``), raised by optional parts, the proximity bonus and featured entries;
    None when no part has words. ``body_grams``: see :func:`_part_query`."""
    required = [q for q in (_part_query(p, relaxed, body_grams) for p in parsed.required) if q is not None]
    if not required:
        return None
    positive = query.Or(required) if relaxed else query.And(required)
    optional = [_reading_query(toks, False, False) for p in parsed.optional if (toks := words(p.text))]
    if optional:
        positive = query.AndMaybe(positive, query.Or(optional))
    bonus = _proximity_bonus(parsed)
    if bonus is not None:
        positive = query.AndMaybe(positive, bonus)
    return query.AndMaybe(positive, query.Term("featured", True, boost=FEATURED_BOOST))


def _facet_counts(results, name: str) -> dict[str, int]:
    try:
        groups = results.groups(name)
    except KeyError:
        return {}
    return {k: v for k, v in groups.items() if k}
