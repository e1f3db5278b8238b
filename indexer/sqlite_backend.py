"""The default embedded search backend: SQLite FTS5 fed with kmrepo's Thai words.

SQLite cannot split Thai into words, so kmrepo does it (:func:`indexer.segment.words`)
and FTS5 indexes the words joined by spaces (``unicode61`` tokenizer told that Thai
vowels and tone marks, Unicode category M, belong to words). Substring recall, for words
inside compounds ("พัฒนา" in "การพัฒนา") and names the dictionary does not know, comes
from two small ``trigram`` tables: one over titles, tags and knowledge-item names, one
over the *distinct indexed words* (``terms``), through which a query chunk also matches
every indexed word that contains it. Everything is in one SQLite file in WAL mode, so
searches read a consistent snapshot while a writer works, and a rebuild is one
transaction: readers see the old index until it commits.

Ranking: BM25 over the word columns (title 4, tags and knowledge-item names 3,
summary 2, body 1, FTS5's column weights); a match found only inside longer words or
through title trigrams scores :data:`GRAM_WEIGHT` of its BM25, so it ranks below
whole-word matches; a bonus where the query's words stand together; a small lift for
featured entries. Facets and filters are counted in Python over a cached copy of each
document's filter fields.

Why not Whoosh by default: on this project's 10,000-entry benchmark Whoosh's pure-Python
writer and scorer were 16× off the rebuild goal and 28× off the p95 search goal; FTS5
does the same work in C (figures in the README, "Benchmarks").
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from .backend import FILTER_FIELDS, IndexDocument, Progress, TieredSearch, index_version, searched_body, stamp
from .ngrams import is_thai
from .normalize import normalize_text
from .query import ParsedQuery, QueryPart
from .segment import ANALYSIS_VERSION, document_words, readings, segmenter, words
from .synonyms import inside_variants, open_ended, synonyms

#: Bump when the schema or the analysis changes: an older index is then rebuilt.
SCHEMA_VERSION = "7"
#: FTS5 column weights of the word table, in column order (title, tags, summary, body).
WORD_WEIGHTS = (4.0, 3.0, 2.0, 1.0)
#: A part matched only inside longer words or through title trigrams scores this
#: share of that match's BM25.
GRAM_WEIGHT = 0.5
#: At most this many indexed words containing a query chunk are searched for it.
MAX_EXPANSION = 200
#: Where two consecutive query words stand side by side (either order): this much, plus
#: this share of the BM25 of such pairs (so more pairs, and pairs in the title, count more).
PROXIMITY_BOOST = 1.0
PROXIMITY_WEIGHT = 1.0
#: A small lift for entries the KM corner features (added to the score).
FEATURED_BOOST = 0.5
#: Rebuilds and additions of at least this many documents, or this many characters,
#: segment in worker processes (``kmrepo load`` of many or long files goes this way).
PARALLEL_MIN_DOCS = 400
PARALLEL_MIN_CHARS = 500_000

_WORD_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
_SCHEMA = f"""
CREATE TABLE docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, department TEXT NOT NULL, items TEXT NOT NULL,
    fiscal_year TEXT NOT NULL, visibility TEXT NOT NULL,
    featured INTEGER NOT NULL, updated TEXT NOT NULL, dated TEXT NOT NULL,
    -- the long texts last, so reading the short fields above never touches them
    title TEXT NOT NULL, labels TEXT NOT NULL, summary TEXT NOT NULL, body TEXT NOT NULL,
    files TEXT NOT NULL  -- the attachments, JSON [[name, text], ...]
);
-- prefix: the words starting with 3 or 4 given letters ("การ", "ความ") come from an index
-- of their own, for the open-ended word pairs of queries (synonyms.open_ended), for 13% more space
CREATE VIRTUAL TABLE words USING fts5(title, tags, summary, body, content='', prefix='3 4', tokenize="{_WORD_TOKENIZER}");
CREATE VIRTUAL TABLE grams USING fts5(title, content='', tokenize='trigram');
CREATE TABLE terms (rowid INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE term_grams USING fts5(term, content='terms', content_rowid='rowid', tokenize='trigram');
"""


class SqliteBackend(TieredSearch):
    """A :class:`indexer.backend.SearchBackend` in the SQLite file ``path``; searches
    through the shared policy (:class:`indexer.backend.TieredSearch`).

    The file (and its folder) is created when missing. An index from another
    :data:`SCHEMA_VERSION`, analysis (:data:`indexer.segment.ANALYSIS_VERSION`) or
    vocabulary is emptied and :attr:`needs_rebuild` is True until :meth:`rebuild`.
    Thread-safe (one connection per thread); several processes may share the file
    (SQLite locking, writers wait up to ``timeout`` seconds, then
    ``sqlite3.OperationalError``). ``workers`` is the number of processes a large
    rebuild segments with (default: the number of CPUs).
    """

    @staticmethod
    def prepare(doc: IndexDocument) -> tuple[str, tuple[str, ...]]:
        """Analysis made ahead of time in another process: :func:`prepare_document`."""
        return prepare_document(doc)

    def __init__(self, path: str, timeout: float = 30.0, workers: int | None = None):
        self.path = path
        self.timeout = timeout
        self.workers = workers or os.cpu_count() or 1
        self._local = threading.local()
        self._meta_lock = threading.Lock()
        self._meta: tuple[int, _Meta] | None = None
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        db = self._db()
        self._needs_rebuild = self._stored_version(db) != _version()
        if self._needs_rebuild:
            with _transaction(db):
                _create(db)

    # -- connections ------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @staticmethod
    def _stored_version(db: sqlite3.Connection) -> str | None:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    @property
    def needs_rebuild(self) -> bool:
        """True when the index on disk was missing or stale when opened."""
        return self._needs_rebuild

    # -- writing ----------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDocument]) -> int:
        """Insert or replace ``docs`` by id, in one transaction (segmented in worker
        processes when they are many or long, as :meth:`rebuild` does). Returns how many."""
        latest = {doc.id: doc for doc in docs}  # the last of repeated ids wins
        prepared = list(_analyzed(list(latest.values()), self.workers))
        if not prepared:
            return 0
        db = self._db()
        with _transaction(db):
            _delete_ids(db, [doc.id for doc, _ in prepared])
            _insert(db, prepared)
            _add_terms(db, _vocabulary(text for _doc, fields in prepared for text in fields[:4]))
            _bump(db)
        return len(prepared)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the documents with these ids (unknown ids are ignored)."""
        ids = list(ids)
        if not ids:
            return 0
        db = self._db()
        with _transaction(db):
            n = _delete_ids(db, ids)
            _bump(db)
        return n

    def rebuild(self, docs: Iterable[IndexDocument], progress: Progress | None = None) -> int:
        """Replace every document with ``docs`` in one transaction (atomic for readers).

        Segmentation runs in :attr:`workers` processes when there are at least
        :data:`PARALLEL_MIN_DOCS` documents, while this process writes the index.
        """
        docs = list(docs)
        db = self._db()
        n = 0
        compounds: set[str] = set()
        with _transaction(db):
            _create(db, with_meta=False)
            for table in ("words", "grams"):  # merge once at the end instead of while loading
                db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)")
            for batch in _batches(_analyzed(docs, self.workers), 200):
                _insert(db, batch)
                compounds.update(t for _doc, fields in batch for text in fields[:4]
                                 for t in _field_parts(text)[1].split())
                n += len(batch)
                if progress:
                    progress(len(batch))
            for table in ("words", "grams"):
                db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 4)")
            # The distinct words, read from the word index rather than collected while
            # loading (which cost this process a tenth of the rebuild, its busy part).
            db.execute(f"INSERT INTO terms (term) SELECT term FROM {_vocab_table(db)} ORDER BY term")
            db.executemany("DELETE FROM terms WHERE term = ?", ((t,) for t in compounds))  # see _vocabulary
            db.execute("INSERT INTO term_grams (term_grams) VALUES ('rebuild')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (_version(),))
            _bump(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # hand the space of the rebuild's log back
        self._needs_rebuild = False
        return n

    def terms(self) -> dict[str, int]:
        """Every indexed Thai word with the number of documents holding it (the
        vocabulary "did you mean" corrects towards)."""
        db = self._db()
        return {t: n for t, n in db.execute(f"SELECT term, doc FROM {_vocab_table(db)}") if is_thai(t[0])}

    def count(self) -> int:
        """The number of documents in the index."""
        return self._db().execute("SELECT count(*) FROM docs").fetchone()[0]

    def stamps(self) -> dict[str, str]:
        """Every document's id and :func:`indexer.backend.stamp`."""
        return dict(self._db().execute("SELECT id, updated FROM docs"))

    # -- searching --------------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[_Reader]:
        """An :class:`indexer.backend.IndexReader` over one read transaction."""
        db = self._db()
        with _transaction(db, write=False):
            yield _Reader(db, self._metadata(db))

    def _metadata(self, db: sqlite3.Connection) -> _Meta:
        """Every document's filter fields (:class:`_Meta`), cached until the index
        changes (the ``generation`` counter)."""
        generation = int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
        with self._meta_lock:
            if self._meta is None or self._meta[0] != generation:
                self._meta = (generation, _Meta(db))
            return self._meta[1]


class _Reader:
    """The primitives of :class:`indexer.backend.IndexReader` over one SQLite read
    transaction; keys are rowids of ``docs``."""

    def __init__(self, db: sqlite3.Connection, meta: _Meta):
        self.db, self.meta = db, meta

    def keys(self):
        return self.meta.rows.keys()

    def matching(self, filters):
        return self.meta.matching(filters)

    def match(self, parsed: ParsedQuery, tier: str, keep) -> dict[int, float] | None:
        """``all``: :func:`_score`; ``inside``: the same with each word also inside
        longer words, where a part has several words (a one-word part is already
        looked for inside longer words at ``all``); ``some``: any of the words."""
        if tier == "inside":
            if not any(len(_slots(p)) > 1 and not p.phrase for p in parsed.required):
                return None
            return _score(self.db, parsed, False, self.meta, widened=True)
        return _score(self.db, parsed, tier == "some", self.meta)

    def excluded(self, part: QueryPart):
        return _part_scores(self.db, part, relaxed=False).keys()

    def updated(self, key: int) -> str:
        return self.meta.updated[key]

    def facets(self, keys):
        return self.meta.facets(keys)

    def stored(self, keys):
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        return {r[0]: (*r[1:5], [tuple(f) for f in json.loads(r[5])]) for r in self.db.execute(
            f"SELECT rowid, id, title, summary, body, files FROM docs WHERE rowid IN ({marks})", list(keys))}


# -- analysis (runs in worker processes during a rebuild) --------------------------------


def prepare_document(doc: IndexDocument) -> tuple[str, tuple[str, ...]]:
    """``(key, analyze(doc))``: the analysis made ahead of time, in another process (a
    loader's worker), for :attr:`IndexDocument.prepared`; ``key`` names the text it
    was made from (:func:`_prepared_key`), so a document whose text changed since is
    analysed again."""
    return _prepared_key(doc), analyze(doc)


def _prepared_key(doc: IndexDocument) -> str:
    parts = (ANALYSIS_VERSION, doc.title, _labels(doc), doc.summary or "", doc.searched_body())
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def _ready(doc: IndexDocument) -> tuple[str, ...] | None:
    """The analysis :func:`prepare_document` made of ``doc``, if made from its text as it is now."""
    made = doc.prepared
    if isinstance(made, tuple) and len(made) == 2 and made[0] == _prepared_key(doc):
        return made[1]
    return None


def analyze(doc: IndexDocument) -> tuple[str, ...]:
    """The text FTS5 indexes for ``doc``: :func:`analyze_fields` of its title, labels
    (tags and knowledge-item names), summary and body."""
    return analyze_fields(doc.title, _labels(doc), doc.summary or "", doc.searched_body())


def analyze_fields(title: str, labels: str, summary: str, body: str) -> tuple[str, ...]:
    """The words of title, labels, summary and body (with the words that PDF spaces
    split put back whole and the Latin compounds, :func:`_field_text`), then the
    trigram text (:func:`gram_text`) of title + labels.

    The word and trigram tables keep no copy of this text (FTS5 ``content=''``): a
    document is deleted by analysing its stored fields again, which gives the same
    text as long as the analysis is unchanged (:data:`indexer.segment.ANALYSIS_VERSION`)."""
    return (*map(_field_text, (title, labels, summary, body)), gram_text(title + " ; " + labels))


#: Between a field's words and its Latin compounds: FTS5's tokenizer skips the bar
#: (neither letter nor digit), so it costs no position (:func:`_field_parts` splits there).
_COMPOUNDS = " | "


def _field_text(text: str) -> str:
    """The words of ``text`` joined by spaces, then its Latin compounds, if any
    (:func:`indexer.segment.document_words`)."""
    found, compounds = document_words(text)
    return " ".join(found) + (_COMPOUNDS + " ".join(compounds) if compounds else "")


def _field_parts(text: str) -> tuple[str, str]:
    """``(words, compounds)`` of an analysed field (:func:`_field_text`), each as
    space-separated words."""
    found, _, compounds = text.partition(_COMPOUNDS)
    return found, compounds


def _vocabulary(fields: Iterable[str]) -> set[str]:
    """The words of analysed fields but their Latin compounds: the vocabulary a query
    word is looked for inside (:func:`_inside_scores`). "plan" inside "actionplan" would
    find only the entries that have "plan" already, and slowly."""
    return {t for text in fields for t in _field_parts(text)[0].split()}


def _files_json(attachments) -> str:
    return json.dumps([[name, text] for name, text in attachments], ensure_ascii=False)


def _labels(doc: IndexDocument) -> str:
    return " ; ".join(doc.labels())


def gram_text(text: str) -> str:
    """``text`` normalised for the trigram table: spaces and dots between two Thai
    characters removed ("องค์ ความรู้" → "องค์ความรู้", "พ.ร.บ." → "พรบ"), as
    :func:`indexer.ngrams.runs` does for queries."""
    return _THAI_GAP_RE.sub("", normalize_text(text))


def _analyzed(docs: list[IndexDocument], workers: int) -> Iterator[tuple[IndexDocument, tuple[str, ...]]]:
    """``(doc, analyze(doc))`` in order, computed by a pool of ``workers`` processes
    for large inputs (:data:`PARALLEL_MIN_DOCS`, :data:`PARALLEL_MIN_CHARS`; forked, so
    they share the already loaded dictionary)."""
    ready = [_ready(d) if d.prepared is not None else None for d in docs]
    todo = [d for d, r in zip(docs, ready, strict=True) if r is None]
    if len(todo) < len(docs):  # analysed ahead of time: only the rest here, in order
        done = iter(list(_analyzed(todo, workers)))
        for doc, r in zip(docs, ready, strict=True):
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


# -- helpers --------------------------------------------------------------------------


_THAI_GAP_RE = re.compile(r"(?<=[\u0e01-\u0e4f])[ .]+(?=[\u0e01-\u0e4f])")


class _transaction:
    """``with _transaction(db):`` BEGIN IMMEDIATE (or deferred for reads) … COMMIT,
    ROLLBACK on error."""

    def __init__(self, db: sqlite3.Connection, write: bool = True):
        self.db, self.write = db, write

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False


def _version() -> str:
    """What an index must have been built with (:func:`indexer.backend.index_version`)."""
    return index_version(SCHEMA_VERSION)


def _create(db: sqlite3.Connection, with_meta: bool = True) -> None:
    """(Re)create the empty tables, inside the caller's transaction; ``with_meta`` also
    the version and generation table."""
    for table in ("docs", "words", "grams", "term_grams", "terms", *(("meta",) if with_meta else ())):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    if with_meta:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('version', ''), ('generation', '0')")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _vocab_table(db: sqlite3.Connection) -> str:
    """The name of this connection's ``fts5vocab`` table over the word index (one row
    per distinct word with its document count), created on first use."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, words, row)")
    return "temp.words_vocab"


def _bump(db: sqlite3.Connection) -> None:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _insert(db: sqlite3.Connection, prepared: list[tuple[IndexDocument, tuple[str, ...]]]) -> None:
    for doc, (t, tags, summary, body, g_title) in prepared:
        cur = db.execute(
            "INSERT INTO docs (id, title, labels, summary, body, type, department, items, fiscal_year, visibility, "
            "featured, updated, dated, files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.id, doc.title, _labels(doc), doc.summary or "", doc.body or "", doc.type or "", doc.department or "",
             ",".join(doc.knowledge_items), str(doc.fiscal_year) if doc.fiscal_year else "", doc.visibility,
             int(doc.featured), stamp(doc.updated_at), stamp(doc.dated or doc.updated_at),
             _files_json(doc.attachments)))
        rowid = cur.lastrowid
        db.execute("INSERT INTO words (rowid, title, tags, summary, body) VALUES (?, ?, ?, ?, ?)",
                   (rowid, t, tags, summary, body))
        db.execute("INSERT INTO grams (rowid, title) VALUES (?, ?)", (rowid, g_title))


def _add_terms(db: sqlite3.Connection, terms: set[str]) -> None:
    """Add the words not yet in ``terms`` (and its trigram index). Words of deleted
    documents stay until the next rebuild: they match nothing, so they cost nothing."""
    for term in terms:
        cur = db.execute("INSERT OR IGNORE INTO terms (term) VALUES (?)", (term,))
        if cur.rowcount == 1:
            db.execute("INSERT INTO term_grams (rowid, term) VALUES (?, ?)", (cur.lastrowid, term))


def _delete_ids(db: sqlite3.Connection, ids: Sequence[str]) -> int:
    n = 0
    for doc_id in ids:
        row = db.execute("SELECT rowid, title, labels, summary, body, files FROM docs WHERE id = ?",
                         (doc_id,)).fetchone()
        if row:
            t, tags, summary, body, g_title = analyze_fields(*row[1:4], searched_body(row[4], json.loads(row[5])))
            db.execute("INSERT INTO words (words, rowid, title, tags, summary, body) VALUES ('delete', ?, ?, ?, ?, ?)",
                       (row[0], t, tags, summary, body))
            db.execute("INSERT INTO grams (grams, rowid, title) VALUES ('delete', ?, ?)", (row[0], g_title))
            db.execute("DELETE FROM docs WHERE rowid = ?", (row[0],))
            n += 1
    return n


class _Meta:
    """The filter fields of every document, read from ``docs`` in one query: ``rows``
    (rowid → (type, department, knowledge items, fiscal year, visibility, featured,
    updated)), ``updated`` (rowid → ISO time), ``featured`` (rowids), and for each
    filter field the rowids holding each value (so filters and facet counts are set
    operations)."""

    def __init__(self, db: sqlite3.Connection):
        self.rows: dict[int, tuple] = {}
        self.by_value: dict[str, dict[str, set[int]]] = {name: {} for name in FILTER_FIELDS}
        for rowid, *fields in db.execute("SELECT rowid, type, department, items, fiscal_year, visibility, "
                                         "featured, dated FROM docs"):
            items = tuple(filter(None, fields[2].split(",")))
            row = (fields[0], fields[1], items, fields[3], fields[4], fields[5], fields[6])
            self.rows[rowid] = row
            for name, col in _META_COLUMNS.items():
                for value in (row[col] if name == "knowledge_item" else (row[col],)):
                    if value:
                        self.by_value[name].setdefault(value, set()).add(rowid)
        self.updated = {r: row[6] for r, row in self.rows.items()}
        self.featured = {r for r, row in self.rows.items() if row[5]}

    def matching(self, filters: dict[str, Sequence[str]]) -> set[int] | None:
        """rowids whose fields match every filter (any of its values); None when the
        filters leave every document in."""
        keep: set[int] | None = None
        for name, values in filters.items():
            allowed = {str(v) for v in values if str(v)}
            if not allowed:
                continue
            index = self.by_value[name]
            found = set().union(*(index.get(v, ()) for v in allowed))
            keep = found if keep is None else keep & found
        return None if keep is not None and len(keep) == len(self.rows) else keep

    def facets(self, rowids) -> dict[str, dict[str, int]]:
        """For each filter field, value → how many of ``rowids`` have it (values none
        of them has are left out)."""
        hits = set(rowids)
        out: dict[str, dict[str, int]] = {}
        for name, index in self.by_value.items():
            counts = {v: len(members & hits) for v, members in index.items()}
            out[name] = {v: n for v, n in counts.items() if n}
        return out


_META_COLUMNS = {"type": 0, "department": 1, "knowledge_item": 2, "fiscal_year": 3, "visibility": 4}


def _quote(text: str) -> str:
    """An FTS5 string (a phrase of the words it holds)."""
    return '"' + text.replace('"', '""') + '"'


def _part_words(part: QueryPart) -> list[str]:
    return words(part.text)


def _word_expression(toks: list[str], phrase: bool, relaxed: bool) -> str | None:
    """The FTS5 expression over the word table for one reading ``toks`` of a typed
    chunk: all its words (any, when ``relaxed``), or the phrase, each word or
    abbreviation also as any of its synonyms (:func:`_slot_expression`)."""
    if not toks:
        return None
    slots = synonyms().query_slots(toks)
    if len(slots) > 1 and phrase:
        return _quote(" ".join(toks))
    exprs = ["(" + _slot_expression(slot) + ")" for slot in slots]
    return (" OR " if relaxed else " AND ").join(exprs)


def _slot_expression(slot: tuple[tuple[str, ...], ...]) -> str:
    """The FTS5 expression matching any variant of ``slot``; a pair
    :func:`~indexer.synonyms.open_ended` is a phrase whose last word is a prefix
    ("วิธี การ"* finds "วิธี|การบริหาร" for "วิธีการ"), served by the prefix index."""
    return " OR ".join(_quote(" ".join(v)) + ("*" if open_ended(slot, v) else "") for v in slot)


def _slots(part: QueryPart) -> list[tuple[tuple[str, ...], ...]]:
    """The word slots a document must fill to match ``part``
    (:meth:`indexer.synonyms.Synonyms.query_slots`)."""
    return synonyms().query_slots(_part_words(part))


def _single_words(slots: list[tuple[tuple[str, ...], ...]]) -> list[str]:
    """The variants of ``slots`` that are one word (those a slot's word query finds whole)."""
    return [v[0] for slot in slots for v in slot if len(v) == 1]


def _word_scores(db: sqlite3.Connection, expr: str) -> Iterator[tuple[int, float]]:
    """``(rowid, score)`` of the documents matching the FTS5 expression ``expr`` over
    the word table; the score is BM25 with :data:`WORD_WEIGHTS` (higher is better)."""
    weights = ", ".join(map(str, WORD_WEIGHTS))
    return db.execute(f"SELECT rowid, -bm25(words, {weights}) FROM words WHERE words MATCH ?", (expr,))


def _inside_scores(db: sqlite3.Connection, subs: list[str], searched: Iterable[str] = ()) -> dict[int, float]:
    """rowid → BM25 of the documents where one of ``subs`` (normalised strings of at
    least three characters, without spaces) occurs inside an indexed word (at most
    :data:`MAX_EXPANSION` such words are tried) or anywhere in the title, tags or
    knowledge-item names.

    ``searched``: words the caller has already looked up as whole words; they are not
    searched again (for a common word such as "ภายใน" that would double the search's
    time to find only documents the caller has)."""
    subs = [x for x in subs if len(x) >= 3 and " " not in x]
    found: dict[int, float] = {}
    if not subs:
        return found
    expr = " OR ".join(map(_quote, subs))
    skip = set(searched)
    terms = [t for (t,) in db.execute("SELECT term FROM term_grams WHERE term_grams MATCH ? LIMIT ?",
                                      (expr, MAX_EXPANSION)) if t not in skip]
    if terms:
        found.update(_word_scores(db, " OR ".join(map(_quote, terms))))
    for rowid, score in db.execute("SELECT rowid, -bm25(grams) FROM grams WHERE grams MATCH ?", (expr,)):
        found[rowid] = max(found.get(rowid, 0.0), score)
    return found


def _widened_scores(db: sqlite3.Connection, part: QueryPart) -> dict[int, float]:
    """Like :func:`_part_scores` but each word (or synonym) of ``part`` may also be
    found inside a longer word."""
    total: dict[int, float] | None = None
    for slot in _slots(part):
        found = dict(_word_scores(db, _slot_expression(slot)))
        for rowid, score in _inside_scores(db, ["".join(v) for v in slot], _single_words([slot])).items():
            found[rowid] = max(found.get(rowid, 0.0), GRAM_WEIGHT * score)
        total = found if total is None else {r: s + found[r] for r, s in total.items() if r in found}
        if not total:
            return {}
    return total or {}


def _part_scores(db: sqlite3.Connection, part: QueryPart, relaxed: bool) -> dict[int, float]:
    """rowid → score of every document matching ``part``: its word BM25 for the first
    of the chunk's :func:`~indexer.segment.readings` it matches (when ``relaxed``: any
    word of the first reading, or all of another), or for documents where the chunk is
    found only inside longer words (or, for a two-letter Thai word, only as the start
    of longer words) :data:`GRAM_WEIGHT` of that BM25."""
    scores: dict[int, float] = {}
    for i, toks in enumerate(readings(part.text)):
        # All the words of another reading, even when ``relaxed``: any one of them, a
        # lone "การ", would let in every document.
        expr = _word_expression(toks, part.phrase, relaxed and i == 0)
        if expr is None:
            return {}
        for rowid, score in _word_scores(db, expr):
            scores.setdefault(rowid, score)
    gram = gram_text(part.text).strip()
    if len(gram) == 2 and is_thai(gram[0]):
        # A two-letter Thai word ("ลา", "ผล") also as the start of longer words (ลาป่วย).
        inside = dict(_word_scores(db, _quote(gram) + "*"))
    else:
        slots = _slots(part)
        inside = _inside_scores(db, [gram, *inside_variants(slots)], _single_words(slots))
    for rowid, score in inside.items():
        if rowid not in scores:
            scores[rowid] = GRAM_WEIGHT * score
    return scores


def _score(db: sqlite3.Connection, parsed: ParsedQuery, relaxed: bool, meta: _Meta,
           widened: bool = False) -> dict[int, float]:
    """rowid → score for the required parts: all of them (or any, ``relaxed``), scores
    summed, plus the scores of the optional parts found (question words), the proximity
    bonus and the featured lift. ``widened``: words may also
    be found inside longer words (:func:`_widened_scores`)."""
    total: dict[int, float] | None = None
    for part in parsed.required:
        widen = widened and not part.phrase and len(_slots(part)) > 1
        scores = _widened_scores(db, part) if widen else _part_scores(db, part, relaxed)
        if total is None:
            total = scores
        elif relaxed:
            for r, s in scores.items():
                total[r] = total.get(r, 0.0) + s
        else:
            total = {r: s + scores[r] for r, s in total.items() if r in scores}
        if not total and not relaxed:
            return {}
    total = total or {}
    for part in parsed.optional:
        expr = _word_expression(_part_words(part), False, False)
        for rowid, score in _word_scores(db, expr) if expr and total else ():
            if rowid in total:
                total[rowid] += score
    clauses = [f"NEAR({_quote(a)} {_quote(b)}, 0)" for a, b in synonyms().proximity_pairs(parsed.required)]
    if clauses and total:
        for rowid, score in _word_scores(db, " OR ".join(clauses)):
            if rowid in total:
                total[rowid] += PROXIMITY_BOOST + PROXIMITY_WEIGHT * score
    for rowid in meta.featured.intersection(total):
        total[rowid] += FEATURED_BOOST
    return total
