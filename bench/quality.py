"""Search quality on judged staff queries: ``python -m bench.quality [--show-misses]``.

Indexes the demo corpus and the five real KM plans cut into ~700-character chunks
(:func:`bench.__main__.corpus_documents`), runs every query of ``bench/judgments.tsv``
and reports MRR@10 and recall@10 for kmrepo and, in the same run, for SQLite FTS5 with
the ``unicode61`` tokenizer (what whitespace-splitting wikis do) and with the
``trigram`` tokenizer (the strongest embedded substring peer). Both peers get the same
documents, the query split at spaces (each piece quoted, all required, as a search box
does), and bm25 ranking with the same title weight.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from indexer.backend import IndexDocument, SearchRequest
from indexer.normalize import normalize_text
from indexer.registry import BACKENDS
from tests.postgres import Unavailable

from . import search_backend
from .__main__ import corpus_documents

JUDGMENTS = Path(__file__).with_name("judgments.tsv")
K = 10


def load_judgments(docs: list[IndexDocument]) -> list[tuple[str, set[str]]]:
    """``[(query, relevant document ids)]`` from :data:`JUDGMENTS`. A target
    ``plan:<text>`` names every chunk of that plan containing <text>, ``plan:<a>&<b>``
    every chunk containing both; ValueError if a target matches nothing (a stale
    judgment)."""
    out = []
    for line in JUDGMENTS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, targets = line.split("\t")
        relevant: set[str] = set()
        for target in targets.split(","):
            if ":" in target:
                plan, needles = target.split(":", 1)
                found = {d.id for d in docs if d.id.startswith(plan + "-")
                         and all(normalize_text(n) in normalize_text(d.body) for n in needles.split("&"))}
            else:
                found = {d.id for d in docs if d.id == target}
            if not found:
                raise ValueError(f"judgment target matches no document: {target!r} ({query})")
            relevant |= found
        out.append((query, relevant))
    return out


def fts5_engine(docs: list[IndexDocument], tokenizer: str) -> Callable[[str], list[str]]:
    """A search function over an in-memory FTS5 table using ``tokenizer``."""
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, title, body, tokenize='{tokenizer}')")
    db.executemany("INSERT INTO d VALUES (?, ?, ?)",
                   [(d.id, d.title + " " + " ".join(d.tags), (d.summary or "") + "\n" + d.body) for d in docs])

    def search(q: str) -> list[str]:
        terms = [t for t in q.replace('"', " ").split() if t]
        if not terms:
            return []
        match = " ".join('"' + t + '"' for t in terms)
        try:
            rows = db.execute("SELECT id FROM d WHERE d MATCH ? ORDER BY bm25(d, 0, 4.0, 1.0) LIMIT ?",
                              (match, K)).fetchall()
        except sqlite3.OperationalError:
            return []
        return [r[0] for r in rows]

    return search


def evaluate(search: Callable[[str], list[str]], judged) -> tuple[float, float, list]:
    """``(MRR@10, recall@10, misses)`` of ``search`` over ``judged``."""
    rr = rec = 0.0
    misses = []
    for query, relevant in judged:
        ranked = search(query)[:K]
        first = next((i for i, d in enumerate(ranked, 1) if d in relevant), None)
        rr += 1 / first if first else 0.0
        found = len(relevant & set(ranked)) / len(relevant)
        rec += found
        if first != 1 or found < 1:
            misses.append((query, first, found, ranked[:3]))
    n = len(judged)
    return rr / n, rec / n, misses


def _searcher(backend) -> Callable[[str], list[str]]:
    def search(q: str) -> list[str]:
        return [h.id for h in backend.search(SearchRequest(q, limit=K)).hits]

    return search


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show-misses", action="store_true", help="list queries not answered perfectly")
    args = ap.parse_args()
    docs = corpus_documents()
    judged = load_judgments(docs)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as backends:
        engines: dict[str, Callable[[str], list[str]]] = {}
        for kind in BACKENDS:
            try:
                backend = backends.enter_context(search_backend(kind, os.path.join(tmp, kind)))
            except Unavailable as why:
                print(f"{kind} backend not measured: {why}")
                continue
            backend.rebuild(docs)
            engines[f"kmrepo ({kind} backend)"] = _searcher(backend)
        engines["SQLite FTS5 unicode61"] = fts5_engine(docs, "unicode61")
        engines["SQLite FTS5 trigram"] = fts5_engine(docs, "trigram")
        print(f"{len(judged)} judged queries over {len(docs)} documents (demo entries + KM plans in ~700-char chunks)")
        print(f"{'engine':32} {'MRR@10':>7} {'recall@10':>10}")
        for name, fn in engines.items():
            mrr, recall, misses = evaluate(fn, judged)
            print(f"{name:32} {mrr:7.3f} {recall:10.3f}")
            if args.show_misses:
                for query, first, found, top in misses:
                    print(f"    {query!r}: first relevant at {first}, recall {found:.2f}, top {top}")


if __name__ == "__main__":
    main()
