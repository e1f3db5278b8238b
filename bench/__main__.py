"""Speed of the embedded search backend on real input: ``python -m bench [--copies N]``.

Indexes the demo corpus plus ``../shared/km-plans`` (chunked into ~700-character
entries), optionally ``--copies`` times over with distinct ids to grow the corpus, then
reports rebuild throughput, one-entry update latency, search latency p50/p95 (with
snippets) over realistic staff queries, index size on disk and peak memory (RSS).
Figures only; nothing is asserted.
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
from indexer.whoosh_backend import WhooshBackend

REPO = Path(__file__).resolve().parent.parent
QUERIES = [
    "รายงานผล ภายใน 15 วัน", "ขออนุญาตปลูกสร้างอาคาร", "ภาษีป้าย", "พรบ ควบคุมอาคาร", "จัดซื้อจัดจ้าง e-GP",
    "ความเสี่ยง", "ศูนย์พัฒนาเด็กเล็ก", "ธนาคารขยะ", "องค์ความรู้", "ตัวชี้วัด ร้อยละ ๘๐", "คุณอำนวย",
    "การจัดการความรู้", "เบี้ยยังชีพผู้สูงอายุ", "\"ภายใน ๑๕ วัน\"", "แผนพัฒนาท้องถิ่น -ประชาคม", "KM Action Plan",
]


def corpus_documents() -> list[IndexDocument]:
    """Demo entries (plain text of their Markdown) and the KM plans cut into ~700-char chunks."""
    from kmrepo.loader import parse_file
    from kmrepo.rendering import plain_text

    docs = []
    for path in sorted((REPO / "content").rglob("*.md")):
        p = parse_file(str(path))
        docs.append(IndexDocument(id=p.slug, title=p.title, body=plain_text(p.body), summary=p.summary,
                                  tags=p.tags, type=p.type, department=p.department))
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
                                  tags=src.tags, type=src.type, department=src.department))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=1, help="index the corpus this many times (distinct ids)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of the query set")
    ap.add_argument("--generated", type=int, default=0, metavar="N",
                    help="instead, N generated entries of ~2,000 Thai characters (paragraphs of the corpus)")
    args = ap.parse_args()

    base = corpus_documents()
    if args.generated:
        docs = generated_documents(base, args.generated)
    else:
        docs = [IndexDocument(**{**d.__dict__, "id": f"{d.id}~{c}"}) if c else d
                for c in range(args.copies) for d in base]
    chars = sum(len(d.body) + len(d.title) for d in docs)
    with tempfile.TemporaryDirectory() as tmp:
        backend = WhooshBackend(os.path.join(tmp, "ix"))
        t = time.perf_counter()
        backend.rebuild(docs)
        build = time.perf_counter() - t
        t = time.perf_counter()
        backend.add([docs[0]])
        update = time.perf_counter() - t
        lat = []
        for _ in range(args.repeat):
            for q in QUERIES:
                t = time.perf_counter()
                backend.search(SearchRequest(q, filters={"visibility": ["public"]}, limit=10))
                lat.append((time.perf_counter() - t) * 1000)
        size = sum(f.stat().st_size for f in Path(tmp, "ix").iterdir())
    lat.sort()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"documents            {len(docs)} ({chars:,} characters)")
    print(f"full rebuild         {build:.2f} s = {len(docs) / build:.0f} entries/s, {chars / build:,.0f} chars/s")
    print(f"one-entry update     {update * 1000:.0f} ms")
    print(f"search (n={len(lat)})      p50 {statistics.median(lat):.1f} ms, p95 {lat[int(len(lat) * .95) - 1]:.1f} ms")
    print(f"index size           {size / 1e6:.1f} MB")
    print(f"peak memory (RSS)    {peak:.0f} MB")


if __name__ == "__main__":
    main()
