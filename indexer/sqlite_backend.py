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
through title trigrams scores :data:`indexer.wordindex.GRAM_WEIGHT` of its BM25, so it ranks below
whole-word matches; a bonus where the query's words stand together; a small lift for
featured entries: the scoring of :mod:`indexer.wordindex`, which the PostgreSQL
backend shares. Facets and filters are counted in Python over a cached copy of each
document's filter fields.

Why not Whoosh by default: on this project's 10,000-entry benchmark Whoosh's pure-Python
writer and scorer were 16× off the rebuild goal and 28× off the p95 search goal; FTS5
does the same work in C (figures in the README, "Benchmarks").
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from .backend import IndexDocument, Progress, TieredSearch, index_version, searched_body, stamp
from .ngrams import is_thai
from .query import ParsedQuery, QueryPart
from .wordindex import (
    GONE_KEPT,
    FieldCache,
    analyze_fields,
    analyzed,
    batches,
    changes_since,
    field_parts,
    files_json,
    labels_text,
    match,
    part_keys,
    prepare_document,
    vocabulary,
)

#: Bump when the schema or the analysis changes: an older index is then rebuilt.
SCHEMA_VERSION = "8"
#: FTS5 column weights of the word table, in column order (title, tags, summary, body).
WORD_WEIGHTS = (4.0, 3.0, 2.0, 1.0)
_WORD_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
_SCHEMA = f"""
CREATE TABLE docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, department TEXT NOT NULL, items TEXT NOT NULL,
    fiscal_year TEXT NOT NULL, visibility TEXT NOT NULL,
    featured INTEGER NOT NULL, updated TEXT NOT NULL, dated TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,  -- of the index, when this row was written
    -- the long texts last, so reading the short fields above never touches them
    title TEXT NOT NULL, labels TEXT NOT NULL, summary TEXT NOT NULL, body TEXT NOT NULL,
    files TEXT NOT NULL  -- the attachments, JSON [[name, text], ...]
);
-- prefix: the words starting with 3 or 4 given letters ("การ", "ความ") come from an index
-- of their own, for the open-ended word pairs of queries (synonyms.open_ended), for 13% more space
CREATE VIRTUAL TABLE words USING fts5(title, tags, summary, body, content='', prefix='3 4', tokenize="{_WORD_TOKENIZER}");
CREATE VIRTUAL TABLE grams USING fts5(title, content='', tokenize='trigram');
CREATE INDEX docs_generation ON docs (generation);
-- the rowids taken out, and when: another process's cached fields catch up from them
CREATE TABLE gone (key INTEGER NOT NULL, generation INTEGER NOT NULL);
CREATE INDEX gone_generation ON gone (generation);
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
        self._meta: tuple[int, int, FieldCache] | None = None  # (built, generation, fields)
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
        prepared = list(analyzed(list(latest.values()), self.workers))
        if not prepared:
            return 0
        db = self._db()
        with _transaction(db):
            generation = _bump(db)
            _delete_ids(db, [doc.id for doc, _ in prepared], generation)
            _insert(db, prepared, generation)
            _add_terms(db, vocabulary(text for _doc, fields in prepared for text in fields[:4]))
        return len(prepared)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the documents with these ids (unknown ids are ignored)."""
        ids = list(ids)
        if not ids:
            return 0
        db = self._db()
        with _transaction(db):
            n = _delete_ids(db, ids, _bump(db))
        return n

    def rebuild(self, docs: Iterable[IndexDocument], progress: Progress | None = None) -> int:
        """Replace every document with ``docs`` in one transaction (atomic for readers).

        Segmentation runs in :attr:`workers` processes when there are at least
:data:`indexer.wordindex.PARALLEL_MIN_DOCS` documents, while this process writes the index.
        """
        docs = list(docs)
        db = self._db()
        n = 0
        compounds: set[str] = set()
        with _transaction(db):
            _create(db, with_meta=False)
            for table in ("words", "grams"):  # merge once at the end instead of while loading
                db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)")
            for batch in batches(analyzed(docs, self.workers), 200):
                _insert(db, batch)
                compounds.update(t for _doc, fields in batch for text in fields[:4]
                                 for t in field_parts(text)[1].split())
                n += len(batch)
                if progress:
                    progress(len(batch))
            for table in ("words", "grams"):
                db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 4)")
            # The distinct words, read from the word index rather than collected while
            # loading (which cost this process a tenth of the rebuild, its busy part).
            db.execute(f"INSERT INTO terms (term) SELECT term FROM {_vocab_table(db)} ORDER BY term")
            db.executemany("DELETE FROM terms WHERE term = ?", ((t,) for t in compounds))  # see wordindex.vocabulary
            db.execute("INSERT INTO term_grams (term_grams) VALUES ('rebuild')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (_version(),))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('built', ?)", (str(_bump(db)),))
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

    def _metadata(self, db: sqlite3.Connection) -> FieldCache:
        """Every document's filter fields (:class:`indexer.wordindex.FieldCache`), kept
        until the index changes (its ``generation``), then brought up to date from the
        rows written and taken out since (by this process or another), or read again
        after a rebuild (``built``) or many changes."""
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'built')"))
        built, generation = int(meta.get("built", 0)), int(meta["generation"])
        with self._meta_lock:
            cached = self._meta
            fields = None
            if cached and cached[0] == built and cached[1] <= generation:
                fields = cached[2] if cached[1] == generation else _caught_up(db, *cached[1:], generation)
            if fields is None:
                fields = FieldCache(db.execute(f"SELECT {_FIELDS} FROM docs"))
            self._meta = (built, generation, fields)
            return fields


def _caught_up(db: sqlite3.Connection, since: int, fields: FieldCache, generation: int) -> FieldCache | None:
    """``fields`` (as of generation ``since``) with the rows written and taken out up
    to ``generation``; None when they are too many or too old to catch up with."""
    changes = changes_since(
        since, generation, len(fields.rows),
        lambda n: db.execute("SELECT key FROM gone WHERE generation > ? LIMIT ?", (since, n)),
        lambda n: db.execute(f"SELECT {_FIELDS} FROM docs WHERE generation > ? LIMIT ?", (since, n)).fetchall())
    return fields.changed(*changes) if changes else None


#: The columns of ``docs`` a :class:`~indexer.wordindex.FieldCache` is made of.
_FIELDS = "rowid, type, department, items, fiscal_year, visibility, featured, dated"


class _Reader:
    """The primitives of :class:`indexer.backend.IndexReader` over one SQLite read
    transaction; keys are rowids of ``docs``."""

    def __init__(self, db: sqlite3.Connection, meta: FieldCache):
        self.db, self.meta = db, meta
        self.updated = meta.updated.__getitem__  # key → date, called per hit: no Python frame

    def keys(self):
        return self.meta.rows.keys()

    def matching(self, filters):
        return self.meta.matching(filters)

    def match(self, parsed: ParsedQuery, tier: str, keep) -> dict[int, float] | None:
        return match(_Words(self.db), parsed, tier, self.meta.featured)

    def excluded(self, part: QueryPart):
        return part_keys(_Words(self.db), part)

    def facets(self, keys):
        return self.meta.facets(keys)

    def stored(self, keys):
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        return {r[0]: (*r[1:5], [tuple(f) for f in json.loads(r[5])]) for r in self.db.execute(
            f"SELECT rowid, id, title, summary, body, files FROM docs WHERE rowid IN ({marks})", list(keys))}


# -- helpers --------------------------------------------------------------------------


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
    for table in ("docs", "gone", "words", "grams", "term_grams", "terms", *(("meta",) if with_meta else ())):
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


def _bump(db: sqlite3.Connection) -> int:
    """The index's next generation (seen by readers when the writer's transaction commits)."""
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    return int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])


def _insert(db: sqlite3.Connection, prepared: list[tuple[IndexDocument, tuple[str, ...]]],
            generation: int = 0) -> None:
    for doc, (t, tags, summary, body, g_title) in prepared:
        cur = db.execute(
            "INSERT INTO docs (id, title, labels, summary, body, type, department, items, fiscal_year, visibility, "
            "featured, updated, dated, files, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.id, doc.title, labels_text(doc), doc.summary or "", doc.body or "", doc.type or "", doc.department or "",
             ",".join(doc.knowledge_items), str(doc.fiscal_year) if doc.fiscal_year else "", doc.visibility,
             int(doc.featured), stamp(doc.updated_at), stamp(doc.dated or doc.updated_at),
             files_json(doc.attachments), generation))
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


def _delete_ids(db: sqlite3.Connection, ids: Sequence[str], generation: int) -> int:
    """Delete these documents, noting their rowids as gone in ``generation`` (and
    forgetting those gone more than :data:`~indexer.wordindex.GONE_KEPT` generations ago)."""
    db.execute("DELETE FROM gone WHERE generation < ?", (generation - GONE_KEPT,))
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
            db.execute("INSERT INTO gone (key, generation) VALUES (?, ?)", (row[0], generation))
            n += 1
    return n


class _Words:
    """The primitives of :class:`indexer.wordindex.WordIndex` over the FTS5 tables:
    expressions are FTS5 query strings; keys are rowids of ``docs``."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    @staticmethod
    def phrase(words: Sequence[str], prefix: bool = False) -> str:
        return _quote(" ".join(words)) + ("*" if prefix else "")

    @staticmethod
    def any_of(exprs: Sequence[str]) -> str:
        return "(" + " OR ".join(exprs) + ")"

    @staticmethod
    def all_of(exprs: Sequence[str]) -> str:
        return " AND ".join(exprs)

    @staticmethod
    def near(a: str, b: str) -> str:
        return f"NEAR({_quote(a)} {_quote(b)}, 0)"

    def word_scores(self, expr: str) -> dict[int, float]:
        """BM25 with :data:`WORD_WEIGHTS` (higher is better)."""
        weights = ", ".join(map(str, WORD_WEIGHTS))
        return dict(self.db.execute(f"SELECT rowid, -bm25(words, {weights}) FROM words WHERE words MATCH ?", (expr,)))

    def word_keys(self, expr: str) -> Iterator[int]:
        """Without BM25: for a word in most documents, a sixth of the time."""
        return (k for (k,) in self.db.execute("SELECT rowid FROM words WHERE words MATCH ?", (expr,)))

    def terms_containing(self, subs: Sequence[str], limit: int) -> list[str]:
        expr = " OR ".join(map(_quote, subs))
        return [t for (t,) in self.db.execute("SELECT term FROM term_grams WHERE term_grams MATCH ? LIMIT ?",
                                              (expr, limit))]

    def gram_scores(self, subs: Sequence[str]) -> Iterator[tuple[int, float]]:
        return self.db.execute("SELECT rowid, -bm25(grams) FROM grams WHERE grams MATCH ?",
                               (" OR ".join(map(_quote, subs)),))


def _quote(text: str) -> str:
    """An FTS5 string (a phrase of the words it holds)."""
    return '"' + text.replace('"', '""') + '"'
