"""Speed of a search backend on real input: ``python -m bench [--generated N] [--backend B]``.

Indexes the demo corpus plus ``../shared/km-plans`` (chunked into ~700-character
entries), optionally ``--copies`` times over with distinct ids, or ``--generated N``
entries of ~2,000 Thai characters; then reports rebuild throughput, one-entry update
latency and the first search after it, search latency p50/p95 (with snippets) over realistic staff queries, index size
on disk (for ``postgres``, of its tables in the database) and peak memory (RSS), and the baseline the rebuild is measured against:
segmenting the same text with PyThaiNLP ``newmm`` in one process. Figures only;
nothing is asserted. ``--backend postgres`` measures in a new database of
``$KMREPO_BENCH_POSTGRES`` or of a throwaway server (:func:`bench.search_backend`).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from indexer.backend import IndexDocument, SearchRequest
from indexer.registry import BACKENDS

from . import search_backend

REPO = Path(__file__).resolve().parent.parent
QUERIES = [
    "รายงานผล ภายใน 15 วัน", "ขออนุญาตปลูกสร้างอาคาร", "ภาษีป้าย", "พรบ ควบคุมอาคาร", "จัดซื้อจัดจ้าง e-GP",
    "ความเสี่ยง", "ศูนย์พัฒนาเด็กเล็ก", "ธนาคารขยะ", "องค์ความรู้", "ตัวชี้วัด ร้อยละ ๘๐", "คุณอำนวย",
    "การจัดการความรู้", "เบี้ยยังชีพผู้สูงอายุ", "\"ภายใน ๑๕ วัน\"", "แผนพัฒนาท้องถิ่น -ประชาคม", "KM Action Plan",
    "ระเบียบการฝึกอบรม", "แนวทางการจัดการความรู้", "ขั้นตอน",
]


def corpus_documents() -> list[IndexDocument]:
    """Demo entries (plain text of their Markdown) and the KM plans cut into ~700-char chunks."""
    from kmrepo.library.loader import parse_file
    from kmrepo.library.rendering import plain_text

    docs = []
    for path in sorted((REPO / "content").rglob("*.md")):
        p = parse_file(str(path))
        docs.append(IndexDocument(id=p.slug, title=p.title, body=plain_text(p.body), summary=p.summary,
                                  tags=p.tags, type=p.type, department=p.department,
                                  knowledge_item_names=p.knowledge_items))
    plans = REPO.parent / "shared" / "km-plans"
    for path in sorted(plans.glob("*.txt")) if plans.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        chunk, n = [], 0
        for para in text.split("\n"):
            chunk.append(para)
            if sum(len(c) for c in chunk) >= 700:
                docs.append(IndexDocument(id=f"{path.stem}-{n}", title=path.stem, body="\n".join(chunk),
                                          type="km_plan"))
                chunk, n = [], n + 1
        if chunk:
            docs.append(IndexDocument(id=f"{path.stem}-{n}", title=path.stem, body="\n".join(chunk), type="km_plan"))
    return docs


def generated_documents(base: list[IndexDocument], n: int, size: int = 2000) -> list[IndexDocument]:
    """``n`` entries of about ``size`` characters, each a random mix of the corpus's
    paragraphs (seeded, so every run indexes the same text), titled after one of them."""
    import random

    rng = random.Random(2568)
    paras = [p.strip() for d in base for p in d.body.split("\n") if len(p.strip()) > 40]
    docs = []
    for i in range(n):
        body, chars = [], 0
        while chars < size:
            p = rng.choice(paras)
            body.append(p)
            chars += len(p)
        src = rng.choice(base)
        docs.append(IndexDocument(id=f"gen-{i}", title=src.title, body="\n".join(body), summary=src.summary,
                                  tags=src.tags, type=src.type, department=src.department,
                                  knowledge_item_names=src.knowledge_item_names))
    return docs


def newmm_baseline(docs: list[IndexDocument]) -> float:
    """Seconds PyThaiNLP ``newmm`` (pure Python, default dictionary) takes to segment
    the titles and bodies of ``docs`` in one process: the issue's yardstick."""
    from pythainlp.tokenize import word_tokenize

    word_tokenize("อุ่นเครื่อง", engine="newmm")
    t = time.perf_counter()
    for d in docs:
        word_tokenize(d.title, engine="newmm")
        word_tokenize(d.body, engine="newmm")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=1, help="index the corpus this many times (distinct ids)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of the query set")
    ap.add_argument("--generated", type=int, default=0, metavar="N",
                    help="instead, N generated entries of ~2,000 Thai characters (paragraphs of the corpus)")
    ap.add_argument("--backend", choices=BACKENDS, default="sqlite", help="the backend to measure")
    ap.add_argument("--no-baseline", action="store_true", help="skip timing PyThaiNLP newmm alone")
    args = ap.parse_args()

    base = corpus_documents()
    if args.generated:
        docs = generated_documents(base, args.generated)
    else:
        docs = [IndexDocument(**{**d.__dict__, "id": f"{d.id}~{c}"}) if c else d
                for c in range(args.copies) for d in base]
    chars = sum(len(d.body) + len(d.title) for d in docs)
    with tempfile.TemporaryDirectory() as tmp, search_backend(args.backend, os.path.join(tmp, "ix")) as backend:
        t = time.perf_counter()
        backend.rebuild(docs)
        build = time.perf_counter() - t
        probe = SearchRequest("ภาษีป้าย", limit=10)
        backend.search(probe)  # what searches keep in memory, loaded
        t = time.perf_counter()
        backend.search(probe)
        before_update = time.perf_counter() - t
        t = time.perf_counter()
        backend.add([docs[0]])
        update = time.perf_counter() - t
        t = time.perf_counter()
        backend.search(probe)  # catches up with the update first
        after_update = time.perf_counter() - t
        per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
        for _ in range(args.repeat):
            for q in QUERIES:
                t = time.perf_counter()
                backend.search(SearchRequest(q, filters={"visibility": ["public"]}, limit=10))
                per_query[q].append((time.perf_counter() - t) * 1000)
        lat = [ms for times in per_query.values() for ms in times]
        size = backend.size() if hasattr(backend, "size") else sum(
            f.stat().st_size for f in Path(tmp, "ix").rglob("*") if f.is_file())
    lat.sort()
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(f"backend              {args.backend} ({getattr(backend, 'workers', 1)} worker processes for rebuilds)")
    print(f"documents            {len(docs)} ({chars:,} characters)")
    print(f"full rebuild         {build:.2f} s = {len(docs) / build:.0f} entries/s, {chars / build:,.0f} chars/s")
    if not args.no_baseline:
        base_s = newmm_baseline(docs)
        print(f"baseline newmm       {base_s:.2f} s in one process (rebuild is {base_s / build:.1f}x faster)")
    print(f"one-entry update     {update * 1000:.0f} ms; the next search {after_update * 1000:.0f} ms "
          f"(the same search before it: {before_update * 1000:.0f} ms)")
    print(f"search (n={len(lat)})      p50 {statistics.median(lat):.1f} ms, p95 {lat[int(len(lat) * .95) - 1]:.1f} ms")
    slowest = sorted(per_query, key=lambda q: -statistics.median(per_query[q]))[:3]
    print("slowest (median)     " + ", ".join(f"{q!r} {statistics.median(per_query[q]):.1f} ms" for q in slowest))
    print(f"index size           {size / 1e6:.1f} MB")
    print(f"peak memory (RSS)    {peak:.0f} MB")


if __name__ == "__main__":
    main()
