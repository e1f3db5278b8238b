"""The shared search backend: PostgreSQL full-text search fed with kmrepo's Thai words.

For a deployment where several app servers share one PostgreSQL database, an embedded
index (a file on one machine's disk) cannot be shared; this one lives in that database.
PostgreSQL's parsers cannot split Thai into words, so nothing of the text goes through
them: kmrepo analyses each document in Python exactly as for SQLite
(:func:`indexer.wordindex.analyze`) and stores the words, and each pair of consecutive
words, as the lexemes of a ``tsvector`` (:func:`lexemes`) under a GIN index. Queries
are built as ``tsquery`` text of the same words (:class:`_Words`): a phrase is its
pairs. So the result does not depend on the server's locale or text-search
configuration (the ``simple`` one is never even asked to parse), and every match is
answered by the GIN index alone: no query has a phrase operator or a weight that would
make PostgreSQL read back each candidate's words (measured: a word in two thirds of
10,000 entries took 100 ms that way, 3 ms from the index alone).

Ranking is :func:`indexer.wordindex.score`, shared with SQLite, over scores PostgreSQL
gives cheaply: the inverse document frequency of what matched, higher where it is in the
title, labels or summary (a small second ``tsvector``, ``head``), and BM25's factor for
the document's length (kept in each process's memory). How often a word occurs in a
document is not used: reading it costs the words of every candidate, as ``ts_rank``
does. So the ranking is a little below SQLite's on the judged queries (README,
"Benchmarks"). Matches inside longer words come from the vocabulary and from
the titles and labels, both kept in each process's memory with the filter fields. When
another process changes the index, a process's next search brings that copy up to date
from the documents written since (each row notes the index's generation that wrote
it; each key taken out is noted in ``search_gone``), rather than loading every document
again; a rebuild, or many changes, loads it whole.

Several processes may share the index. Writers (:meth:`PostgresBackend.add`,
:meth:`~PostgresBackend.delete`, :meth:`~PostgresBackend.rebuild`) take one advisory
lock in turn; readers take none. A rebuild builds the other of two table sets aside
and switches to it in the transaction that fills it, so searches go on, on the old
index, while it runs.
"""

from __future__ import annotations

import math
import operator
import os
import re
import threading
import weakref
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import pairwise
from typing import NamedTuple

from .backend import IndexDocument, Progress, TieredSearch, index_version, stamp
from .ngrams import is_thai
from .query import ParsedQuery, QueryPart
from .wordindex import (
    GONE_KEPT,
    FieldCache,
    analyzed,
    batches,
    changes_since,
    field_parts,
    files_json,
    labels_text,
    match,
    part_keys,
    prepare_document,
)

#: Bump when the schema or the analysis changes: an older index is then rebuilt.
SCHEMA_VERSION = "6"
#: A word or phrase found in the title, labels or summary scores this many times more
#: than one found only in the body (SQLite's column weights are 4, 3, 2 to the body's 1).
HEAD_WEIGHT = 3.0
#: Scores are IDF × this, to stand on the scale of the bonuses of
#: :mod:`indexer.wordindex` (proximity, featured entries) as SQLite's BM25 does.
SCORE_SCALE = 2.0
#: BM25's k1 and b, for the length of documents (:func:`_length_factors`): with one
#: occurrence counted per word, a match in a short entry ranks above one in a long one.
#: b is well below BM25's usual 0.75: with no word counts to make up for it, a long plan
#: holding the words many times sank below shorter ones (Ban Mai's plan, the source of
#: the 15-day rule, fell to second for "รายงานผล ภายใน 15 วัน"; tests/test_loader.py).
BM25_K1 = 1.2
BM25_B = 0.2
#: The longest lexeme PostgreSQL takes, in bytes (longer words and pairs are left out).
MAX_LEXEME_BYTES = 2046
#: The id of the advisory lock writers take (any number no other part of kmrepo uses).
WRITE_LOCK = 0x6B6D_7265
#: A rebuild waits at most this long for the lock and for readers of the set it replaces.
LOCK_TIMEOUT = "60s"

_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\ue000-\uf8ff])+")
_NOTHING = "'_'"  # no token holds "_": a tsquery matching nothing


def connection_info(url: str) -> str:
    """A libpq connection URI for a SQLAlchemy URL: ``postgresql+psycopg://…`` →
    ``postgresql://…`` (any ``+driver`` dropped). ValueError for a URL of another database."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError("the postgres search backend needs a PostgreSQL database URL "
                         "(KMREPO_DATABASE_URL=postgresql+psycopg://…)")
    return "postgresql://" + rest


def tokens(text: str) -> list[str]:
    """The tokens of an analysed field, as SQLite's ``unicode61`` tokenizer reads them
    (runs of letters, digits and combining marks; lower case), so that both backends
    index the same words."""
    return _TOKEN.findall(text.lower())


def lexemes(fields: Sequence[str]) -> set[str]:
    """What the index holds of analysed fields (as :func:`indexer.wordindex.analyze`
    gives them): each token, and each pair of consecutive tokens joined by a space
    ("องค์ ความรู้"), so that a phrase is found by the index alone: "a b c" is the pairs
    "a b" and "b c" (:meth:`_Words.phrase`). Tokens and pairs longer than
    :data:`MAX_LEXEME_BYTES` are left out."""
    return _lexemes([tokens(text) for text in fields])


def _lexemes(field_tokens: Iterable[Sequence[str]]) -> set[str]:
    """:func:`lexemes` of fields already cut into tokens."""
    found: set[str] = set()
    for toks in field_tokens:
        found.update(t for t in toks if len(t.encode()) <= MAX_LEXEME_BYTES)
        found.update(p for p in map(" ".join, pairwise(toks)) if len(p.encode()) <= MAX_LEXEME_BYTES)
    return found


def tsvector_literal(fields: Sequence[str]) -> str:
    """The ``tsvector`` input text of :func:`lexemes` (no positions: nothing reads them)."""
    return _literal(lexemes(fields))


def _literal(found: Iterable[str]) -> str:
    return " ".join(map(_lexeme, found))  # PostgreSQL sorts them itself


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresBackend(TieredSearch):
    """A :class:`indexer.backend.SearchBackend` in the PostgreSQL database at ``url``
    (a SQLAlchemy or libpq URL), in tables named ``search_*`` beside kmrepo's own;
    searches through the shared policy (:class:`indexer.backend.TieredSearch`).

    The tables are created when missing; an index of another :data:`SCHEMA_VERSION`,
    analysis or vocabulary is emptied and :attr:`needs_rebuild` is True until
    :meth:`rebuild`. Thread-safe (one connection per thread) and shared by processes
    (see the module's notes). Raises ValueError for a URL of another database and
    ``psycopg.OperationalError`` when the server cannot be reached. ``workers`` is the
    number of processes a large rebuild segments with (default: the number of CPUs).
    """

    @staticmethod
    def prepare(doc: IndexDocument) -> tuple[str, tuple[str, ...]]:
        """Analysis made ahead of time in another process: :func:`indexer.wordindex.prepare_document`."""
        return prepare_document(doc)

    def __init__(self, url: str, workers: int | None = None):
        import psycopg  # only this backend needs the driver

        self._psycopg = psycopg
        self.conninfo = connection_info(url)
        self.workers = workers or os.cpu_count() or 1
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._cache: _Cache | None = None
        self._connections: list = []
        _OPEN.add(self)
        with self._write(opening=True) as (cur, _side):
            cur.execute("SELECT value FROM search_meta WHERE key = 'version'")
            self._needs_rebuild = cur.fetchone()[0] != _version()
            if self._needs_rebuild:
                for side in (0, 1):
                    _create(cur, side)
                cur.execute("UPDATE search_meta SET value = '' WHERE key = 'version'")
                cur.execute("UPDATE search_meta SET value = '0' WHERE key = 'active'")
                _rebuilt(cur)

    # -- connections ------------------------------------------------------------------

    def _db(self):
        db = getattr(self._local, "db", None)
        if db is None or db.closed:
            db = self._psycopg.connect(self.conninfo, autocommit=True)
            self._local.db = db
            self._connections.append(db)
        return db

    def close(self) -> None:
        """Close every thread's connection (a later call opens a new one)."""
        for db in self._connections:
            db.close()
        self._connections.clear()
        self._local = threading.local()

    def _forget_connections(self) -> None:
        """In a forked child (a loader's worker): never use nor close the parent's
        connections (closing one would end the parent's session); keep them referenced
        so they are not collected."""
        _INHERITED.append((self._local, self._connections))
        self._local, self._connections = threading.local(), []

    @contextmanager
    def _write(self, opening: bool = False) -> Iterator[tuple[object, int]]:
        """``(cursor, active side)`` inside a transaction holding the writers' lock;
        ``opening`` (once, from ``__init__``): create the tables first when missing."""
        db = self._db()
        with db.transaction(), db.cursor() as cur:
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            if opening:
                cur.execute("CREATE TABLE IF NOT EXISTS search_meta (key text PRIMARY KEY, value text NOT NULL)")
                cur.execute("INSERT INTO search_meta VALUES ('version', ''), ('generation', '0'), ('active', '0'), "
                            "('built', '0') ON CONFLICT (key) DO NOTHING")
            cur.execute("SELECT value FROM search_meta WHERE key = 'active'")
            side = int(cur.fetchone()[0])
            if opening:
                cur.execute("SELECT to_regclass(%s)", (f"search_docs_{side}",))
                if cur.fetchone()[0] is None:
                    _create(cur, side)
            yield cur, side

    @property
    def needs_rebuild(self) -> bool:
        """True when the stored index was missing or stale when opened."""
        return self._needs_rebuild

    # -- writing ----------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDocument]) -> int:
        """Insert or replace ``docs`` by id, in one transaction (segmented in worker
        processes when they are many or long). Returns how many."""
        latest = {doc.id: doc for doc in docs}
        prepared = list(analyzed(list(latest.values()), self.workers))
        if not prepared:
            return 0
        with self._write() as (cur, side):
            generation = _bump(cur)
            _delete_ids(cur, side, [doc.id for doc, _ in prepared], generation)
            cur.execute(f"SELECT coalesce(max(key), 0) FROM search_docs_{side}")  # writers take turns: no race
            first = cur.fetchone()[0] + 1
            entries = [_Entry.of(key, doc, fields) for key, (doc, fields) in enumerate(prepared, first)]
            cur.executemany(f"INSERT INTO search_docs_{side} ({_DOC_COLUMNS}, generation) VALUES ({_DOC_MARKS}, %s)",
                            [(*e.rows[0], generation) for e in entries])
            for i, table in enumerate(_LEXEME_TABLES, 1):
                cur.executemany(f"INSERT INTO search_{table}_{side} (key, lexemes) VALUES (%s, CAST(%s AS tsvector))",
                                [e.rows[i] for e in entries])
            _count_terms(cur, side, _term_counts(entries), +1)
        return len(prepared)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the documents with these ids (unknown ids are ignored)."""
        ids = list(ids)
        if not ids:
            return 0
        with self._write() as (cur, side):
            n = _delete_ids(cur, side, ids, _bump(cur))
        return n

    def rebuild(self, docs: Iterable[IndexDocument], progress: Progress | None = None) -> int:
        """Build the whole index aside (the other table set) from ``docs`` and switch
        to it, in one transaction: searches read the old index until it commits, and a
        failed rebuild leaves it as it was. Segmentation runs in :attr:`workers`
        processes for many or long documents, while this process writes."""
        docs = list(docs)
        n = 0
        with self._write() as (cur, side):
            aside = 1 - side
            _create(cur, aside, index=False)
            counts: Counter = Counter()
            plain: set[str] = set()
            for batch in batches(analyzed(docs, self.workers), 200):
                entries = [_Entry.of(key, doc, fields) for key, (doc, fields) in enumerate(batch, n + 1)]
                n += len(batch)
                for part, (table, columns) in enumerate((("docs", _DOC_COLUMNS),
                                                         *((t, "key, lexemes") for t in _LEXEME_TABLES))):
                    with cur.copy(f"COPY search_{table}_{aside} ({columns}) FROM STDIN") as copy:
                        for e in entries:
                            copy.write_row(e.rows[part])
                terms = _term_counts(entries)
                counts.update({t: c for t, (c, _p) in terms.items()})
                plain.update(t for t, (_c, p) in terms.items() if p)
                if progress:
                    progress(len(batch))
            with cur.copy(f"COPY search_terms_{aside} (term, docs, plain) FROM STDIN") as copy:
                for term, c in counts.items():
                    copy.write_row((term, c, term in plain))
            _index(cur, aside)
            for table in ("docs", *_LEXEME_TABLES):
                cur.execute(f"ANALYZE search_{table}_{aside}")
            cur.execute("UPDATE search_meta SET value = %s WHERE key = 'active'", (str(aside),))
            cur.execute("UPDATE search_meta SET value = %s WHERE key = 'version'", (_version(),))
            _rebuilt(cur)
        self._needs_rebuild = False
        return n

    def terms(self) -> dict[str, int]:
        """Every indexed Thai word with the number of documents holding it (the
        vocabulary "did you mean" corrects towards)."""
        with self._read() as (cur, side, _generation):
            cur.execute(f"SELECT term, docs FROM search_terms_{side} WHERE docs > 0")
            return {t: n for t, n in cur if is_thai(t[0])}

    def count(self) -> int:
        """The number of documents in the index."""
        with self._read() as (cur, side, _generation):
            cur.execute(f"SELECT count(*) FROM search_docs_{side}")
            return cur.fetchone()[0]

    def size(self) -> int:
        """Bytes the index takes in the database (its tables and indexes, both sets)."""
        with self._read() as (cur, _side, _generation):
            cur.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "WHERE c.relkind = 'r' AND c.relname LIKE 'search\\_%'")
            return int(cur.fetchone()[0])

    def stamps(self) -> dict[str, str]:
        """Every document's id and :func:`indexer.backend.stamp`."""
        with self._read() as (cur, side, _generation):
            cur.execute(f"SELECT id, updated FROM search_docs_{side}")
            return dict(cur.fetchall())

    # -- searching --------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[tuple[object, int, tuple[int, int]]]:
        """``(cursor, active side, (built, generation))`` inside one read-only snapshot:
        ``built`` the generation of the side's last rebuild."""
        db = self._db()
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        db.execute("SET LOCAL enable_seqscan = off")  # a common word would otherwise read every row's words
        try:
            with db.cursor() as cur:
                cur.execute("SELECT key, value FROM search_meta WHERE key IN ('active', 'generation', 'built')")
                meta = dict(cur.fetchall())
                yield cur, int(meta["active"]), (int(meta.get("built", 0)), int(meta["generation"]))
        finally:
            db.execute("ROLLBACK")

    @contextmanager
    def reader(self) -> Iterator[_Reader]:
        """An :class:`indexer.backend.IndexReader` over one read-only snapshot."""
        with self._read() as (cur, side, version):
            yield _Reader(cur, side, self._cached(cur, side, version))

    def _cached(self, cur, side: int, version: tuple[int, int]) -> _Cache:
        """What searches read from memory (:class:`_Cache`): when the index has changed
        (``version``: built, generation), brought up to date with the documents changed
        since (:meth:`_Cache.after`), or loaded again after a rebuild or many changes."""
        built, generation = version
        with self._cache_lock:
            cache = self._cache
            if cache is None or (cache.side, cache.built) != (side, built) or cache.generation > generation:
                self._cache = _Cache(cur, side, version)
            elif cache.generation < generation:
                self._cache = cache.after(cur, generation) or _Cache(cur, side, version)
            return self._cache


_INHERITED: list = []
_OPEN: weakref.WeakSet = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for backend in list(_OPEN):
        backend._forget_connections()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Cache:
    """One process's copy of what every search reads whole, as of index ``generation``
    of table set ``side`` (rebuilt in generation ``built``): each document's filter fields (``fields``, a
    :class:`indexer.wordindex.FieldCache`), the text of titles and labels (``grams``)
    and the vocabulary (``vocabulary``) to look for a string inside, the number of
    documents (``size``) and BM25's length factors."""

    def __init__(self, cur, side: int, version: tuple[int, int]):
        self.built, generation = version
        cur.execute(f"SELECT {_CACHED} FROM search_docs_{side}")
        rows = cur.fetchall()
        self._fill(cur, side, generation, FieldCache(row[:8] for row in rows),
                   _Substrings([(row[0], row[8]) for row in rows]), {row[0]: row[9] for row in rows})

    def _fill(self, cur, side: int, generation: int, fields: FieldCache, grams: _Substrings,
              lengths: dict[int, int]) -> None:
        self.side, self.generation = side, generation
        self.fields, self.grams, self.lengths = fields, grams, lengths
        self.size = len(lengths)
        self.length_factors = _length_factors(lengths)
        cur.execute(f"SELECT term FROM search_terms_{side} WHERE plain AND docs > 0 ORDER BY term")
        terms = [t for (t,) in cur]
        self.vocabulary = _Substrings(list(zip(terms, terms, strict=True)))

    def after(self, cur, generation: int) -> _Cache | None:
        """A copy brought to ``generation`` (of the same side, in ``cur``'s snapshot)
        from the documents written and taken out since: a few milliseconds after one
        entry is saved where loading 100,000 again takes more than half a second. None
        when :func:`~indexer.wordindex.changes_since` says so: then load it again."""
        def read(sql: str, n: int) -> list[tuple]:
            cur.execute(sql, (self.generation, n))
            return cur.fetchall()

        changes = changes_since(
            self.generation, generation, self.size,
            partial(read, f"SELECT key FROM search_gone_{self.side} WHERE generation > %s LIMIT %s"),
            partial(read, f"SELECT {_CACHED} FROM search_docs_{self.side} WHERE generation > %s LIMIT %s"))
        if changes is None:
            return None
        gone, rows = changes
        lengths = {k: n for k, n in self.lengths.items() if k not in gone}
        lengths.update((row[0], row[9]) for row in rows)
        new = object.__new__(_Cache)
        new.built = self.built
        new._fill(cur, self.side, generation, self.fields.changed(gone, (row[:8] for row in rows)),
                  self.grams.changed(gone, [(row[0], row[8]) for row in rows]), lengths)
        return new


class _Substrings:
    """Texts (each with a key) searched for a string inside them: each different text
    once in one joined string, and ``str.find``, so a lookup costs a scan in C of the
    text, not a loop over items, and a label or title many documents share is found
    once for all of them."""

    def __init__(self, items: list[tuple[object, str]]):
        self.keys: list[list[object]] = []  # the keys of each different text, in order
        self.group: dict[str, int] = {}  # text → its place in self.keys
        self.of: dict[object, int] = {}  # key → the place of its text
        self.starts: list[int] = []  # where each text starts in self.text
        self.text = ""
        self._add(items)

    def _add(self, items: list[tuple[object, str]]) -> None:
        added, pos = [], len(self.text) + 1 if self.text else 0
        for key, text in items:
            text = text.replace("\n", " ")
            i = self.group.get(text)
            if i is None:
                i = self.group[text] = len(self.keys)
                self.keys.append([])
                self.starts.append(pos)
                added.append(text)
                pos += len(text) + 1
            self.keys[i].append(key)
            self.of[key] = i
        if added:
            self.text = "\n".join([self.text, *added]) if self.text else "\n".join(added)

    def changed(self, removed: set, items: list[tuple[object, str]]) -> _Substrings:
        """A copy without the keys ``removed`` (and those of ``items``), then with
        ``items``; this one is left as it was. A text no key holds any more stays in the
        joined string (it finds nothing) until the next full load."""
        new = object.__new__(_Substrings)
        new.keys, new.group, new.of, new.starts, new.text = (
            list(self.keys), dict(self.group), dict(self.of), list(self.starts), self.text)
        for key in removed | {key for key, _ in items}:
            i = new.of.pop(key, None)
            if i is not None:
                new.keys[i] = [k for k in new.keys[i] if k != key]
        for i in {new.group.get(text.replace("\n", " ")) for _, text in items} - {None}:
            new.keys[i] = list(new.keys[i])  # about to be appended to: not the list this one holds
        new._add(items)
        return new

    def containing(self, sub: str, limit: int | None = None) -> Iterator[object]:
        """The keys of the texts containing ``sub`` (those of one text together, texts
        in order), at most ``limit``."""
        found, at = 0, self.text.find(sub) if sub else -1
        while at >= 0:
            i = bisect_right(self.starts, at) - 1
            for key in self.keys[i]:
                if limit is not None and found >= limit:
                    return
                yield key
                found += 1
            nxt = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
            at = self.text.find(sub, nxt)


class _Reader:
    """The primitives of :class:`indexer.backend.IndexReader` over one snapshot; keys
    are the ``key`` column of the active ``search_docs_<side>``."""

    def __init__(self, cur, side: int, cache: _Cache):
        self.cur, self.side, self.cache = cur, side, cache
        self.words = _Words(cur, side, cache)
        self.updated = cache.fields.updated.__getitem__  # key → date, called per hit: no Python frame

    def keys(self):
        return self.cache.fields.rows.keys()

    def matching(self, filters):
        return self.cache.fields.matching(filters)

    def match(self, parsed: ParsedQuery, tier: str, keep) -> dict[int, float] | None:
        """The shared scoring, each document's score then times its length factor
        (:func:`_length_factors`; the same for every word, so applied once)."""
        scores = match(self.words, parsed, tier, self.cache.fields.featured)
        if not scores:
            return scores
        factor = self.cache.length_factors.__getitem__
        return dict(zip(scores, map(operator.mul, scores.values(), map(factor, scores)), strict=True))

    def excluded(self, part: QueryPart):
        return part_keys(self.words, part)

    def facets(self, keys):
        return self.cache.fields.facets(keys)

    def stored(self, keys):
        if not keys:
            return {}
        self.cur.execute(f"SELECT key, id, title, summary, body, files FROM search_docs_{self.side} "
                         "WHERE key = ANY(%s)", (list(keys),))
        return {r[0]: (*r[1:5], [tuple(f) for f in r[5]]) for r in self.cur.fetchall()}


class _Words:
    """The primitives of :class:`indexer.wordindex.WordIndex` over the ``tsvector``
    column: expressions are ``tsquery`` input text."""

    def __init__(self, cur, side: int, cache: _Cache):
        self.cur, self.side, self.cache = cur, side, cache

    @staticmethod
    def phrase(words: Sequence[str], prefix: bool = False) -> str:
        """One word, or the pairs of consecutive words all present (:func:`lexemes`)."""
        toks = [t for w in words for t in tokens(w)]
        if not toks:
            return _NOTHING
        if len(toks) == 1:
            return _lexeme(toks[0]) + (":*" if prefix else "")
        pairs = [_lexeme(" ".join(p)) for p in pairwise(toks)]
        if prefix:
            pairs[-1] += ":*"
        return "(" + " & ".join(pairs) + ")"

    @staticmethod
    def any_of(exprs: Sequence[str]) -> str:
        return "(" + " | ".join(exprs) + ")" if exprs else _NOTHING

    @staticmethod
    def all_of(exprs: Sequence[str]) -> str:
        return " & ".join(f"({e})" for e in exprs) if exprs else _NOTHING

    def near(self, a: str, b: str) -> str:
        return f"({self.phrase([a, b])} | {self.phrase([b, a])})"

    def word_scores(self, expr: str) -> dict[int, float]:
        """IDF × :data:`SCORE_SCALE` of the documents matching ``expr``, times
        :data:`HEAD_WEIGHT` where it is found in the title, labels or summary. Only the
        GIN indexes and keys are read, never a document's words, so a common word costs
        little more than a rare one."""
        # Both tables in one round trip (head lexemes are words too); the arrays in binary.
        self.cur.execute(f"SELECT ({self._keys('words')}), ({self._keys('head')})", (expr, expr), binary=True)
        words, head = self.cur.fetchone()
        weight = SCORE_SCALE * _idf(len(words or ()), self.cache.size)
        scores = dict.fromkeys(words or (), weight)
        scores.update(dict.fromkeys(head or (), weight * HEAD_WEIGHT))
        return scores

    def word_keys(self, expr: str) -> Iterable[int]:
        """The keys whose lexemes match ``expr`` (the GIN index alone)."""
        self.cur.execute(self._keys("words"), (expr,), binary=True)
        return self.cur.fetchone()[0] or []

    def _keys(self, table: str) -> str:
        """The query for the array of keys whose ``search_<table>`` lexemes match a tsquery (``%s``)."""
        return f"SELECT array_agg(key) FROM search_{table}_{self.side} WHERE lexemes @@ CAST(%s AS tsquery)"

    def terms_containing(self, subs: Sequence[str], limit: int) -> list[str]:
        found: dict[str, None] = {}
        for sub in subs:
            for term in self.cache.vocabulary.containing(sub, limit - len(found)):
                found[term] = None
            if len(found) >= limit:
                break
        return list(found)

    def gram_scores(self, subs: Sequence[str]) -> list[tuple[int, float]]:
        """Documents whose title or labels contain one of ``subs``, each scored by the
        IDF of the rarest it contains."""
        scores: dict[int, float] = {}
        for sub in subs:
            keys = list(self.cache.grams.containing(sub))
            weight = _idf(len(keys), self.cache.size)
            for key in keys:
                scores[key] = max(scores.get(key, 0.0), weight)
        return list(scores.items())


def _length_factors(lengths: dict[int, int]) -> dict[int, float]:
    """key → BM25's factor for a word found once in a document of that many words:
    (k1 + 1) / (1 + k1 · (1 − b + b · length / average length)); 1 at the average
    length, up to about 1.1 for the shortest, about 0.7 at five times the average
    (with b = :data:`BM25_B`)."""
    if not lengths:
        return {}
    average = max(1.0, sum(lengths.values()) / len(lengths))
    return {key: (BM25_K1 + 1) / (1 + BM25_K1 * (1 - BM25_B + BM25_B * n / average)) for key, n in lengths.items()}


def _idf(found: int, size: int) -> float:
    """BM25's inverse document frequency of a match in ``found`` of ``size`` documents."""
    return math.log(1 + (size - found + 0.5) / (found + 0.5))


# -- helpers --------------------------------------------------------------------------


_DOC_COLUMNS = ("key, id, type, department, items, fiscal_year, visibility, featured, updated, dated, "
                "title, labels, summary, body, files, grams, length")
_DOC_MARKS = ", ".join(["%s"] * 17)
#: The columns of ``search_docs`` each process keeps in memory (:class:`_Cache`).
_CACHED = "key, type, department, items, fiscal_year, visibility, featured, dated, grams, length"
#: The tables of lexemes (``search_<name>_<side>``: key, lexemes): of the whole document, and of its head.
_LEXEME_TABLES = ("words", "head")


def _version() -> str:
    """What an index must have been built with (:func:`indexer.backend.index_version`)."""
    return index_version(SCHEMA_VERSION)


def _create(cur, side: int, index: bool = True) -> None:
    """(Re)create side ``side``'s empty tables (its GIN indexes too, unless ``index``
    is False: a rebuild creates them after loading, which is faster).

    ``search_docs`` holds what is shown and filtered on; ``search_words`` and
    ``search_head`` only a key and a ``tsvector``, so that the rows a common word
    matches fill few pages (measured at 100,000 entries, a word in two thirds of them:
    85 ms with the text in the same rows, 23 ms in a table of key, head and words,
    15 ms with words alone)."""
    cur.execute(f"DROP TABLE IF EXISTS search_docs_{side}, search_lex_{side}, search_words_{side}, "
                f"search_head_{side}, search_terms_{side}, search_gone_{side}")
    cur.execute(f"""CREATE TABLE search_docs_{side} (
        key integer PRIMARY KEY,
        id text NOT NULL UNIQUE,
        type text NOT NULL, department text NOT NULL, items text NOT NULL, fiscal_year text NOT NULL,
        visibility text NOT NULL, featured boolean NOT NULL, updated text NOT NULL, dated text NOT NULL,
        title text NOT NULL, labels text NOT NULL, summary text NOT NULL, body text NOT NULL,
        files jsonb NOT NULL, grams text NOT NULL, length integer NOT NULL,
        generation bigint NOT NULL DEFAULT 0)""")
    # The keys taken out, and when: a process's cache catches up from them (_Cache.after).
    cur.execute(f"CREATE TABLE search_gone_{side} (key integer NOT NULL, generation bigint NOT NULL)")
    for table in _LEXEME_TABLES:
        cur.execute(f"CREATE TABLE search_{table}_{side} (key integer PRIMARY KEY, lexemes tsvector NOT NULL)")
    cur.execute(f"CREATE TABLE search_terms_{side} (term text PRIMARY KEY, docs integer NOT NULL, "
                "plain boolean NOT NULL)")
    if index:
        _index(cur, side)


def _index(cur, side: int) -> None:
    for table in _LEXEME_TABLES:
        cur.execute(f"CREATE INDEX search_{table}_{side}_lexemes ON search_{table}_{side} USING gin (lexemes)")
    for table in ("docs", "gone"):
        cur.execute(f"CREATE INDEX search_{table}_{side}_generation ON search_{table}_{side} (generation)")


def _rebuilt(cur) -> None:
    """Note that the active side was (re)created: every process's cache is loaded again."""
    cur.execute("INSERT INTO search_meta VALUES ('built', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(_bump(cur)),))


def _bump(cur) -> int:
    """The index's next generation (seen by readers when the writer's transaction commits)."""
    cur.execute("UPDATE search_meta SET value = (value::bigint + 1)::text WHERE key = 'generation' "
                "RETURNING value::bigint")
    return cur.fetchone()[0]


class _Entry(NamedTuple):
    """One document as the index stores it: its ``rows`` (``search_docs``,
    ``search_words``, ``search_head``), its ``words`` (every token) and its ``plain``
    words (not only in Latin compounds)."""

    rows: tuple[tuple, tuple, tuple]
    words: set[str]
    plain: set[str]

    @classmethod
    def of(cls, key: int, doc: IndexDocument, fields: tuple[str, ...]) -> _Entry:
        """``doc`` under ``key``; ``fields`` is its analysis (each field cut into tokens once)."""
        parts = [tuple(map(tokens, field_parts(text))) for text in fields[:4]]  # (words, compounds) a field
        toks = [found + compounds for found, compounds in parts]
        head = _lexemes(toks[:3])
        words = head | _lexemes(toks[3:])
        row = (key, doc.id, doc.type or "", doc.department or "", ",".join(doc.knowledge_items),
               str(doc.fiscal_year) if doc.fiscal_year else "", doc.visibility, bool(doc.featured),
               stamp(doc.updated_at), stamp(doc.dated or doc.updated_at), _clean(doc.title),
               _clean(labels_text(doc)), _clean(doc.summary or ""), _clean(doc.body or ""),
               files_json(doc.attachments).replace("\\u0000", " "), _clean(fields[4]), sum(map(len, toks)))
        return cls((row, (key, _literal(words)), (key, _literal(head))), {t for t in words if " " not in t},
                   {t for found, _compounds in parts for t in found})


def _clean(text: str) -> str:
    """PostgreSQL's text holds no NUL."""
    return text.replace("\x00", " ")


def _term_counts(entries: Iterable[_Entry]) -> dict[str, tuple[int, bool]]:
    """term → (documents holding it, whether it is a plain word somewhere: not only a
    Latin compound, so a query is looked for inside it)."""
    counts: Counter = Counter()
    plain: set[str] = set()
    for entry in entries:
        counts.update(entry.words)
        plain |= entry.plain
    return {t: (c, t in plain) for t, c in counts.items()}


def _count_terms(cur, side: int, terms: dict[str, tuple[int, bool]], sign: int) -> None:
    if not terms:
        return
    cur.execute(f"""INSERT INTO search_terms_{side} AS t (term, docs, plain)
                    SELECT * FROM unnest(%s::text[], %s::integer[], %s::boolean[])
                    ON CONFLICT (term) DO UPDATE SET docs = t.docs + excluded.docs, plain = t.plain OR excluded.plain""",
                ([*terms], [sign * c for c, _p in terms.values()], [p and sign > 0 for _c, p in terms.values()]))


def _delete_ids(cur, side: int, ids: Sequence[str], generation: int) -> int:
    """Delete these documents, note their keys as gone in ``generation`` (forgetting
    those gone more than :data:`GONE_KEPT` generations ago) and take their words off
    the vocabulary's counts."""
    cur.execute(f"DELETE FROM search_docs_{side} WHERE id = ANY(%s) RETURNING key", (list(ids),))
    keys = [key for (key,) in cur.fetchall()]
    cur.execute(f"INSERT INTO search_gone_{side} (key, generation) SELECT unnest(%s::integer[]), %s",
                (keys, generation))
    cur.execute(f"DELETE FROM search_gone_{side} WHERE generation < %s", (generation - GONE_KEPT,))
    cur.execute(f"DELETE FROM search_head_{side} WHERE key = ANY(%s)", (keys,))
    cur.execute(f"DELETE FROM search_words_{side} WHERE key = ANY(%s) RETURNING tsvector_to_array(lexemes)", (keys,))
    gone = cur.fetchall()
    counts: Counter = Counter(t for (held,) in gone for t in held if " " not in t)  # words, not pairs
    _count_terms(cur, side, {t: (c, False) for t, c in counts.items()}, -1)
    return len(gone)
