"""The search backend interface and the shapes that cross it.

kmrepo talks to any search backend through :class:`SearchBackend`: add (insert or
replace), delete, search, rebuild, count. The database is the source of truth; a backend
holds only derived data and can be rebuilt from :class:`IndexDocument` values at any time.
SQLite FTS5 (:mod:`indexer.sqlite_backend`) is the embedded default; Whoosh
(:mod:`indexer.whoosh_backend`) is the alternative. :func:`indexer.registry.open_backend`
opens either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

#: Fields a search can be filtered on, and the facet counts a search returns.
FILTER_FIELDS = ("type", "department", "knowledge_item", "fiscal_year", "visibility")
#: When fewer documents than this match every word, a backend also looks further and
#: appends what it finds below them, each group after the one before: SQLite first
#: for each word inside longer words ("บริหารความเสี่ยง" then finds
#: "การบริหารจัดการความเสี่ยง"), both backends then for documents with only some of
#: the words.
WIDEN_BELOW = 10


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

    def labels(self) -> list[str]:
        """What the index searches as labels: the tags, the knowledge items' names
        and, with a fiscal year, "ปีงบประมาณ 2568", so that a search for
        "ปีงบ 68" or "2568" finds the entries of that year."""
        year = [f"ปีงบประมาณ {self.fiscal_year}"] if self.fiscal_year else []
        return [*self.tags, *self.knowledge_item_names, *year]


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
    with the matched words wrapped in ``<mark>``; safe to insert into a page."""

    id: str
    score: float
    title_html: str
    snippet_html: str


@dataclass(frozen=True)
class SearchResults:
    """The page of hits asked for, the total number of matching documents, and for each
    filter field the count of matching documents per value (``facets``).

    ``relaxed`` is True when no document had every word, and the hits are those with
    some of the words instead.
    """

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    relaxed: bool = False


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

    def count(self) -> int:
        """The number of documents in the index."""

    @property
    def needs_rebuild(self) -> bool:
        """True when the stored index is missing or from an older schema."""
