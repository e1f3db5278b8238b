"""The search backend interface, the shapes that cross it, and the search policy
every backend shares.

kmrepo talks to any search backend through :class:`SearchBackend`: add (insert or
replace), delete, search, rebuild, count. The database is the source of truth; a backend
holds only derived data and can be rebuilt from :class:`IndexDocument` values at any time.
SQLite FTS5 (:mod:`indexer.sqlite_backend`) is the embedded default; Whoosh
(:mod:`indexer.whoosh_backend`) is the alternative. :func:`indexer.registry.open_backend`
opens either.

Search policy is written once, here (:class:`TieredSearch`): how a query is prepared
(:func:`prepare_query`), which filters exist (:func:`check_filters`), the order of the
tiers of results (:data:`TIERS`), exclusions, sorting, paging, snippets, and what an
index must have been built with (:func:`index_version`). A backend supplies primitives
only, through an :class:`IndexReader`: match a prepared query at one tier with scores,
filter, count facets, read stored text.
"""

from __future__ import annotations

import heapq
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress
from typing import Protocol

from .query import ParsedQuery, QueryPart, can_relax, parse_query, split_compounds
from .segment import ANALYSIS_VERSION
from .snippets import SNIPPET_CHARS, best_snippet, highlight_terms, hit_html
from .synonyms import synonyms
from .vocabulary import fingerprint

#: Fields a search can be filtered on, and the facet counts a search returns.
FILTER_FIELDS = ("type", "department", "knowledge_item", "fiscal_year", "visibility")
#: When fewer documents than this match every word, the search also looks further and
#: appends what it finds below them, tier after tier (:data:`TIERS`).
WIDEN_BELOW = 10
#: The tiers of a search, in order (:meth:`TieredSearch.search`):
#:
#: - ``all``: documents with every word (a one-word chunk may be found inside longer
#:   words of titles and labels, and of the vocabulary on SQLite);
#: - ``inside``: each word may also stand inside a longer word of the text
#:   ("บริหารความเสี่ยง" finds "การบริหารจัดการความเสี่ยง");
#: - ``some``: documents with only some of the words (the page says so when no
#:   document has them all);
#: - ``split``: when nothing at all matched, a compound typed as one dictionary word is
#:   read as its two words, any of them ("ป้ายโฆษณา" finds the signboard-tax manual).
#:
#: Each tier after the first runs only while fewer than :data:`WIDEN_BELOW` documents
#: were found, and what it adds ranks below everything found before.
TIERS = ("all", "inside", "some", "split")


@dataclass(frozen=True)
class IndexDocument:
    """What the index knows of one entry.

    ``id`` is the entry's slug. ``body`` is plain text (Markdown already rendered and
    stripped), the text snippets are cut from. ``knowledge_items`` are knowledge item
    ids as strings (for filters and facets); ``knowledge_item_names`` their names,
    searched like tags. ``fiscal_year`` is a Buddhist Era year or None.
    """

    id: str
    title: str
    body: str = ""
    summary: str = ""
    tags: Sequence[str] = ()
    type: str = ""
    department: str = ""
    knowledge_items: Sequence[str] = ()
    knowledge_item_names: Sequence[str] = ()
    fiscal_year: int | None = None
    visibility: str = "public"
    featured: bool = False
    updated_at: datetime | None = None
    #: The date the document bears (a plan's, a letter's), what "newest first" sorts by;
    #: None: ``updated_at``.
    dated: datetime | None = None
    attachments: Sequence[tuple[str, str]] = ()
    #: What a backend's ``prepare`` made of this document ahead of time (in a loader's
    #: worker process), or None; a backend uses it only when it was made from the same
    #: text (it keeps the key of that text), and analyses the document itself otherwise.
    prepared: object = field(default=None, compare=False, repr=False)

    def searched_body(self) -> str:
        """What the index searches as the body: :func:`searched_body` of the body and
        the attachments' text."""
        return searched_body(self.body, self.attachments)

    def labels(self) -> list[str]:
        """What the index searches as labels: the tags, the knowledge items' names
        and, with a fiscal year, "ปีงบประมาณ 2568", so that a search for
        "ปีงบ 68" or "2568" finds the entries of that year."""
        year = [f"ปีงบประมาณ {self.fiscal_year}"] if self.fiscal_year else []
        return [*self.tags, *self.knowledge_item_names, *year]


def searched_body(body: str, attachments: Sequence[tuple[str, str]]) -> str:
    """``body`` followed by the text of each attachment, each after a blank line: the
    text a backend indexes as the body (and analyses again to delete a document)."""
    texts = [text for _name, text in attachments if text]
    return "\n\n".join([body or "", *texts]) if texts else (body or "")


@dataclass(frozen=True)
class SearchRequest:
    """A search: ``text`` as typed, ``filters`` as field → allowed values (any of them).

    ``sort`` is ``"relevance"`` or ``"date"`` (newest first). ``offset``/``limit`` page
    through the ranked hits. Filter keys are those of :data:`FILTER_FIELDS`.
    """

    text: str
    filters: dict[str, Sequence[str]] = field(default_factory=dict)
    sort: str = "relevance"
    offset: int = 0
    limit: int = 10


@dataclass(frozen=True)
class Hit:
    """One ranked result. ``title_html`` and ``snippet_html`` are HTML-escaped text
    with the matched words wrapped in ``<mark>``; safe to insert into a page. ``tier``
    is the tier of :data:`TIERS` that found it (``all`` for every result of an empty
    query): where "every word" ends, a page can say so. ``found_in`` is the name of the
    attached file the snippet comes from, when the words were found only there
    (otherwise "")."""

    id: str
    score: float
    title_html: str
    snippet_html: str
    tier: str = "all"
    found_in: str = ""


@dataclass(frozen=True)
class SearchResults:
    """The page of hits asked for, the total number of matching documents, and for each
    filter field the count of matching documents per value (``facets``).

    ``relaxed`` is True when no document had every word, and the hits are those with
    some of the words instead. ``every_word`` is how many of the ``total`` have every
    word (tiers ``all`` and ``inside``); the others have some (``some``, ``split``).
    """

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    relaxed: bool = False
    every_word: int = 0


Progress = Callable[[int], None]


class SearchBackend(Protocol):
    """What kmrepo needs of a search backend. Implementations must be thread-safe."""

    def add(self, docs: Iterable[IndexDocument]) -> int:
        """Insert or replace ``docs`` (by id) in one commit; return how many."""

    def delete(self, ids: Iterable[str]) -> int:
        """Remove the documents with these ids; unknown ids are ignored. Return how many."""

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search; never raises for any text a user can type."""

    def rebuild(self, docs: Iterable[IndexDocument], progress: Progress | None = None) -> int:
        """Replace the whole index with ``docs`` atomically; return how many were indexed.

        ``progress`` is called with the number of documents done since the last call.
        Searches keep working on the old index until the new one is committed.
        """

    def terms(self) -> dict[str, int]:
        """Indexed Thai words with their document frequencies (for spelling)."""
        ...

    def stamps(self) -> dict[str, str]:
        """Every document's id with its :func:`stamp` (what was indexed, and of when),
        so the owner can find what the index missed and repair it."""
        ...

    def count(self) -> int:
        """The number of documents in the index."""

    #: A function (module-level, so a forked worker can run it) making
    #: :attr:`IndexDocument.prepared` from a document ahead of time, or None when the
    #: backend analyses documents only itself.
    prepare: Callable[[IndexDocument], object] | None

    @property
    def needs_rebuild(self) -> bool:
        """True when the stored index is missing or from an older schema."""


def stamp(moment: datetime | None) -> str:
    """A document's ``updated_at`` as every backend stores it: naive UTC, ISO 8601
    (1970-01-01 when unknown)."""
    moment = moment or datetime(1970, 1, 1)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


# -- the search policy every backend shares ---------------------------------------------------


#: Queries are cut to this many characters before any analysis.
MAX_QUERY_CHARS = 500


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def prepare_query(text: str) -> ParsedQuery:
    """``text`` as typed, cut to :data:`MAX_QUERY_CHARS` characters, control characters
    (a NUL byte, which no engine's string syntax takes) read as spaces, parsed
    (:func:`indexer.query.parse_query`), with runs of words that spell one synonym
    variant joined into one part (:meth:`indexer.synonyms.Synonyms.join_parts`)."""
    return synonyms().join_parts(parse_query(_CONTROL.sub(" ", text[:MAX_QUERY_CHARS])))


def check_filters(filters: dict[str, Sequence[str]]) -> None:
    """ValueError for a filter field not in :data:`FILTER_FIELDS`."""
    for name in filters:
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter field {name!r}")


def index_version(schema_version: str) -> str:
    """What an index must have been built with: the backend's ``schema_version``, the
    analysis (:data:`indexer.segment.ANALYSIS_VERSION`) and the vocabulary
    (:func:`indexer.vocabulary.fingerprint`). An index stored with another is rebuilt."""
    return f"{schema_version}:{ANALYSIS_VERSION}:{fingerprint()}"


Key = Hashable


class IndexReader(Protocol):
    """A consistent snapshot of one backend's index: the primitives
    :class:`TieredSearch` builds every search from. Keys are the backend's own
    document handles (a rowid, a docnum), valid while the reader is open."""

    def keys(self) -> Collection[Key]:
        """Every document."""

    def matching(self, filters: dict[str, Sequence[str]]) -> set[Key] | None:
        """The documents whose fields match every filter (any of its values); None when
        the filters leave every document in."""

    def match(self, parsed: ParsedQuery, tier: str, keep: set[Key] | None) -> dict[Key, float] | None:
        """key → score (higher is better) of the documents matching the required parts
        of ``parsed`` at ``tier`` (``all``, ``inside`` or ``some``; see :data:`TIERS`),
        optional parts, proximity and featured entries raising the score. None when
        this tier can find nothing the ``all`` tier did not. ``keep`` may be used to
        skip documents outside it; the caller drops them anyway."""

    def excluded(self, part: QueryPart) -> Iterable[Key]:
        """The documents matching ``part`` (a ``-word`` of the query)."""

    def updated(self, key: Key):
        """The document's date for "newest first" (:attr:`IndexDocument.dated`, else its
        last update), comparable with another document's."""

    def facets(self, keys: Collection[Key]) -> dict[str, dict[str, int]]:
        """For each of :data:`FILTER_FIELDS`, value → how many of ``keys`` have it."""

    def stored(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str, str, str, list[tuple[str, str]]]]:
        """``(id, title, summary, body, attachments)`` of each of ``keys``
        (attachments as in :attr:`IndexDocument.attachments`)."""


class TieredSearch(ABC):
    """The search every backend runs (base of a :class:`SearchBackend`): a backend
    defines :meth:`reader` and gets :meth:`search`."""

    @abstractmethod
    def reader(self) -> AbstractContextManager[IndexReader]:
        """A context manager giving an :class:`IndexReader` over one snapshot."""

    def search(self, request: SearchRequest) -> SearchResults:
        """Rank the documents that match ``request``, tier by tier (:data:`TIERS`);
        never raises for any text a user can type (ValueError for an unknown filter
        field, which no user types)."""
        check_filters(request.filters)
        parsed = prepare_query(request.text)
        limit = max(1, min(request.limit, 100))
        offset = max(0, min(request.offset, 100_000))
        with self.reader() as reader:
            keep = reader.matching(request.filters)
            relaxed = False
            if parsed.is_empty:
                scores = dict.fromkeys(reader.keys() if keep is None else keep, 0.0)
                tiers: dict[Key, str] = {}
            else:
                scores, tiers, parsed, relaxed = _tiers(reader, parsed, keep)
            for part in parsed.excluded:
                for key in reader.excluded(part):
                    scores.pop(key, None)
            page = _top(scores, reader.updated, offset + limit, by_date=parsed.is_empty or request.sort == "date")
            page = page[offset:]
            stored = reader.stored(page)
            terms, subs = highlight_terms(parsed)
            hits = []
            for key in page:
                doc_id, title, summary, body, files = stored[key]
                title_html, snippet_html = hit_html(title, body, summary, terms, subs)
                found_in = ""
                if terms and files and "<mark>" not in snippet_html:
                    found_in, snippet_html = _attachment_snippet(files, terms, subs) or ("", snippet_html)
                hits.append(Hit(id=doc_id, score=scores[key], title_html=title_html, snippet_html=snippet_html,
                                tier=tiers.get(key, "all"), found_in=found_in))
            facets = reader.facets(scores.keys())
        every_word = len(scores) - sum(1 for t in tiers.values() if t in ("some", "split"))
        return SearchResults(total=len(scores), hits=hits, facets=facets, relaxed=relaxed, every_word=every_word)


def _top(scores: dict[Key, float], updated: Callable[[Key], object], n: int, by_date: bool) -> list[Key]:
    """The ``n`` best of ``scores``' keys: by score, then newest first (``by_date``:
    newest first, then by key). The tuples are made by ``zip`` and ``map`` and compared in
    C: with tens of thousands of hits a Python key function was a fifth of a search."""
    keys: Iterable[Key] = scores
    if len(scores) > 4 * n:  # first only the keys that can make the page: at or above the n-th best
        values = list(map(updated, scores)) if by_date else scores.values()
        cut = heapq.nlargest(n, values)[-1]
        keys = list(compress(scores, map(cut.__le__, values)))
    keys = list(reversed(keys))  # newer entries tend to have later keys: seen first, they spare the heap
    dates = map(updated, keys)
    ranked = zip(dates, keys) if by_date else zip(map(scores.__getitem__, keys), dates, keys)
    return [item[-1] for item in heapq.nlargest(n, ranked)]


def _attachment_snippet(files: Sequence[tuple[str, str]], terms: set[str], subs: set[str]
                        ) -> tuple[str, str] | None:
    """``(file name, snippet html)`` of the attached file whose best snippet marks the
    most of the query (characters of its different marked words; the first of equals),
    or None when none shows a match."""
    best, best_key = None, (0, 0)
    for name, text in files:
        if text:
            snip = best_snippet(text, terms, subs, SNIPPET_CHARS)
            marked = _MARKED.findall(snip)
            key = (sum(map(len, set(marked))), len(marked))
            if key > best_key:
                best, best_key = (name, snip), key
    return best


_MARKED = re.compile(r"<mark>(.*?)</mark>")


def _tiers(reader: IndexReader, parsed: ParsedQuery, keep: set[Key] | None
           ) -> tuple[dict[Key, float], dict[Key, str], ParsedQuery, bool]:
    """``(scores, tiers, parsed, relaxed)`` after the tiers of :data:`TIERS`: ``tiers``
    names the tier that found each document, ``parsed`` is the split query when the
    ``split`` tier ran, ``relaxed`` True when no document had every word and
    some-words results are shown instead."""
    scores: dict[Key, float] = {}
    tiers: dict[Key, str] = {}
    _append(scores, tiers, "all", _only(reader.match(parsed, "all", keep), keep))
    if len(scores) < WIDEN_BELOW:
        _append(scores, tiers, "inside", _only(reader.match(parsed, "inside", keep), keep))
    relaxed = False
    if len(scores) < WIDEN_BELOW and can_relax(parsed):
        relaxed = not scores
        _append(scores, tiers, "some", _only(reader.match(parsed, "some", keep), keep))
        relaxed = relaxed and bool(scores)
    if not scores and (split := split_compounds(parsed)):
        parsed = split
        _append(scores, tiers, "split", _only(reader.match(split, "some", keep), keep))
        relaxed = bool(scores)
    return scores, tiers, parsed, relaxed


def _only(scores: dict[Key, float] | None, keep: set[Key] | None) -> dict[Key, float]:
    if not scores:
        return {}
    if keep is None:
        return scores
    drop = scores.keys() - keep
    if len(drop) * 2 > len(scores):
        return {k: scores[k] for k in scores.keys() & keep}
    kept = dict(scores)
    for k in drop:
        del kept[k]
    return kept


def _append(scores: dict[Key, float], tiers: dict[Key, str], tier: str, more: dict[Key, float]) -> None:
    """Add the documents of ``more`` missing from ``scores``, their scores scaled so
    every one ranks below the lowest of ``scores``, and note ``tier`` as theirs."""
    if not scores:  # the first tier with hits: as they are
        scores.update(more)
        tiers.update(dict.fromkeys(more, tier))
        return
    extra = {k: more[k] for k in more.keys() - scores.keys()}
    if not extra:
        return
    tiers.update(dict.fromkeys(extra, tier))
    floor, top = min(scores.values()), max(extra.values())
    scale = min(1.0, 0.99 * floor / top) if top > 0 else 1.0
    scores.update({k: s * scale for k, s in extra.items()})

