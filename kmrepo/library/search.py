"""Searching the library: the results page, its JSON twin and ``kmrepo search``.

Plain functions (a session and the acting user in, data out; no Flask). The search
backend is the one the session's commits update (:func:`kmrepo.library.index_sync.backend_of`).
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.backend import MAX_QUERY_CHARS, SearchRequest
from indexer.normalize import fold_digits
from indexer.spelling import Speller

from . import policy
from .index_sync import backend_of
from .models import ENTRY_TYPES, Entry, KnowledgeItem, Tag, entry_tags
from .service import summary_of

SORTS = {"relevance": "ตามความเกี่ยวข้อง", "date": "ล่าสุดก่อน"}
MAX_PAGE = 1000
#: With fewer entries than this having every word, a correction that finds more is offered.
FEW_WITH_EVERY_WORD = 3


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value not in (None, "") else default
    except ValueError:
        return default


def search_data(session: Session, user, args: Mapping[str, str], page_size: int = 10) -> dict:
    """Run the search that request ``args`` describe and gather the results.

    ``args`` keys: ``q`` (the query as typed), ``type``, ``department``, ``item``
    (knowledge item id), ``year`` (fiscal year, BE), ``sort`` (relevance | date),
    ``page`` (1-based), ``limit`` (1–100; default ``page_size``), ``exact`` ("1": never
    correct the spelling).
    Unknown or malformed values fall back to defaults; the query is cut to
    :data:`indexer.backend.MAX_QUERY_CHARS` characters. Returns a dict: ``query`` (as
    typed), ``corrected_query``, ``suggestion``, ``total``, ``page``, ``pages``, ``limit``,
    ``relaxed``, ``every_word_total`` (how many of ``total`` have every word), ``filters``, ``facets`` (per filter field, a list of ``value``,
    ``label``, ``count``, most frequent first) and ``results`` (``slug``, ``title``, ``type``,
    ``score``, ``snippet``, ``title_html``, ``found_in`` (the name of the attached file
    the snippet comes from, or ""), ``every_word`` (False for a result with only
    some of the words) and the fields of
    :func:`kmrepo.library.service.summary_of`), in rank order. Only entries ``user`` may read are searched.

    Spelling: when no entry has every word of the query and a one-edit correction
    (:meth:`indexer.spelling.Speller.suggest`) finds entries with every word, the results are those of the
    correction, named in ``corrected_query``, as search engines do. Otherwise (or with
    ``exact=1``) a correction, if any, is only offered in ``suggestion``
    (:func:`did_you_mean`), as it is when fewer than :data:`FEW_WITH_EVERY_WORD` entries
    have every word and the correction finds more.
    """
    text = (args.get("q") or "").strip()[:MAX_QUERY_CHARS]  # before any analysis, spelling too
    limit = _int(args.get("limit"), page_size, 1, 100)
    page = _int(args.get("page"), 1, 1, MAX_PAGE)
    sort = args.get("sort") if args.get("sort") in SORTS else "relevance"
    chosen = {
        "type": args.get("type") or "",
        "department": args.get("department") or "",
        "knowledge_item": args.get("item") or "",
        "fiscal_year": args.get("year") or "",
    }
    filters = {k: [v] for k, v in chosen.items() if v}
    filters["visibility"] = policy.visibilities(user)
    backend = backend_of(session)

    def run(q: str, page: int = page):
        return backend.search(SearchRequest(text=q, filters=filters, sort=sort, offset=(page - 1) * limit,
                                            limit=limit))

    res = run(text)
    suggestion = corrected = None
    if text and (res.total == 0 or res.relaxed):
        sure = None if args.get("exact") == "1" else speller_for(backend).suggest(text, two_edits=False)
        found = run(sure) if sure and sure != text else None
        if found is not None and found.total and not found.relaxed:
            res, corrected = found, sure
        else:
            suggestion = did_you_mean(backend, text, filters, tried=sure)
    elif text and res.every_word < FEW_WITH_EVERY_WORD:
        # A word misspelt into another real word ("ความเสียง" for "ความเสี่ยง") still finds
        # a little: a correction that finds more with every word is offered.
        suggestion = did_you_mean(backend, text, filters, better_than=res.every_word)
    pages = max(1, -(-res.total // limit))
    if page > pages:  # a page past the last ("page 99 of 4", an old link): the last page
        page = pages
        res = run(corrected or text, page)
    slugs = [h.id for h in res.hits]
    entries = {e.slug: e for e in session.scalars(select(Entry).where(Entry.slug.in_(slugs)))} if slugs else {}
    results = []
    for h in res.hits:
        e = entries.get(h.id)
        if e is None:  # index ahead of or behind the database: skip, reindex repairs
            continue
        results.append({**summary_of(e), "score": round(h.score, 4), "snippet": h.snippet_html,
                        "title_html": h.title_html, "every_word": h.tier in ("all", "inside"),
                        "found_in": h.found_in})
    item_names = {str(i): n for i, n in session.execute(select(KnowledgeItem.id, KnowledgeItem.name)).all()}
    labels = {"type": ENTRY_TYPES, "knowledge_item": item_names}
    facets = {
        name: sorted(
            ({"value": v, "label": labels.get(name, {}).get(v, v), "count": n} for v, n in counts.items()),
            key=lambda f: (-f["count"], f["label"]),
        )
        for name, counts in res.facets.items() if name != "visibility"
    }
    return {
        "query": text,
        "corrected_query": corrected,
        "suggestion": suggestion,
        "total": res.total,
        "every_word_total": res.every_word,
        "page": page,
        "pages": pages,
        "limit": limit,
        "sort": sort,
        "relaxed": res.relaxed,
        "filters": chosen,
        "facets": facets,
        "results": results,
    }


_SPELLER_TTL = 300.0  # seconds: new words reach "did you mean" within five minutes
_spellers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def speller_for(backend) -> Speller:
    """A :class:`~indexer.spelling.Speller` over ``backend``'s words, built again
    when older than five minutes (new words reach "did you mean" that soon)."""
    cached = _spellers.get(backend)
    now = time.monotonic()
    if cached is None or now - cached[0] > _SPELLER_TTL:
        cached = (now, Speller(backend.terms()))
        _spellers[backend] = cached
    return cached[1]


def did_you_mean(backend, text: str, filters: dict, tried: str | None = None, better_than: int = 0) -> str | None:
    """A corrected form of ``text`` (:meth:`indexer.spelling.Speller.suggest` against
    the words of the index) that finds more than ``better_than`` entries with every word
    under the same ``filters``, or None. ``tried``: a correction already searched under
    these filters without finding entries with every word; it is not searched again."""
    suggestion = speller_for(backend).suggest(text)
    if not suggestion or suggestion in (text, tried):
        return None
    found = backend.search(SearchRequest(text=suggestion, filters=filters, limit=1))
    return suggestion if found.every_word > better_than and not found.relaxed else None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def suggest_data(session: Session, user, q: str, limit: int = 8) -> dict:
    """Suggestions while typing ``q``: titles of entries ``user`` may read, knowledge
    items and tags whose names contain it (digits folded). ``{"query", "suggestions":
    [{"text", "kind": "entry" | "item" | "tag", "key"}]}``, at most ``limit``; ``key``
    is the entry's slug, the item's id or the tag's name (the views add each one's URL)."""
    q = " ".join(_CONTROL.sub(" ", fold_digits(q or "")).split())[:100]  # no NUL: no database keeps one
    out: list[dict] = []
    if len(q) < 2:
        return {"query": q, "suggestions": out}
    pattern = f"%{q.replace('%', '').replace('_', '')}%"
    readable = policy.readable_entries(user)
    for slug, title in session.execute(
        select(Entry.slug, Entry.title).where(readable, Entry.title.like(pattern))
        .order_by(Entry.featured.desc(), Entry.updated_at.desc()).limit(limit)
    ):
        out.append({"text": title, "kind": "entry", "key": slug})
    for item_id, name in session.execute(
        select(KnowledgeItem.id, KnowledgeItem.name).where(KnowledgeItem.name.like(pattern)).limit(3)
    ):
        out.append({"text": name, "kind": "item", "key": item_id})
    visible_tags = (
        select(Tag.name).join(entry_tags).join(Entry, Entry.id == entry_tags.c.entry_id)
        .where(Tag.name.like(pattern), readable).group_by(Tag.name).order_by(Tag.name).limit(3)
    )
    for (name,) in session.execute(visible_tags):
        out.append({"text": name, "kind": "tag", "key": name})
    return {"query": q, "suggestions": out[:limit]}
