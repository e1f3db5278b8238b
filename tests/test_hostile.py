"""Whatever an anonymous visitor types is answered with an ordinary page, quickly, and
changes nothing: the search box is the site's most exposed door."""

from __future__ import annotations

import base64
import random
import time

import pytest

from indexer.spelling import Speller

HOSTILE_QUERIES = {
    "100,000 Thai characters": "การจัดการความรู้" * 6250,
    "100,000 letters without a space": "ก" * 100_000,
    "a NUL byte": "a\x00b",
    "NUL bytes around Thai": "\x00รายงาน\x00ผล\x00",
    "FTS5 syntax": 'NEAR("a" "b", 2) AND title:x* OR {col}: ^start -"" ""',
    "a pasted base64 blob": base64.b64encode(random.Random(7).randbytes(30_000)).decode(),
    "keyboard left on English, pasted long": "4kKuxhkp " * 300,
    "a misspelling repeated": "ประเมินความเสียงงง" * 120,
}


@pytest.fixture(scope="module")
def warm(site):
    """The site after its first misspelt search: the speller over the index's words is
    built once (and again every five minutes), which no single query should be charged."""
    site.test_client().get("/api/search", query_string={"q": "ภาษีป้ายย"})
    return site


@pytest.mark.parametrize("name", HOSTILE_QUERIES)
def test_hostile_queries_get_a_normal_page_within_a_second(warm, site_client, name):
    q = HOSTILE_QUERIES[name]
    for url in ("/search", "/api/search", "/api/suggest"):
        started = time.perf_counter()
        resp = site_client.get(url, query_string={"q": q})
        elapsed = time.perf_counter() - started
        assert resp.status_code == 200, (name, url)
        assert elapsed < 1.0, (name, url, f"{elapsed:.2f} s")
    page = site_client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert "ค้นหา" in page and "ระบบขัดข้อง" not in page
    assert len(site_client.get("/api/search", query_string={"q": q}).get_json()["query"]) <= 500


def test_the_speller_stays_bounded_on_any_text():
    """The spell checker's work grows with the square of what it edits: it edits only
    short pieces of short queries, within a time budget."""
    speller = Speller({"ความเสี่ยง": 9, "ประเมิน": 5, "ภาษีป้าย": 3})
    for text in ("ก" * 2_000, "ประเมินความเสียง" * 10, "x" * 5_000, "4kKuxhkp" * 50):
        started = time.perf_counter()
        speller.suggest(text)
        assert time.perf_counter() - started < 0.5, text[:20]
    assert speller.suggest("ภาษีป้ายย") == "ภาษีป้าย"  # and still corrects what it should
