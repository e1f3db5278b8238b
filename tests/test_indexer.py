"""indexer/ on its own: no Flask, no database."""

import subprocess
import sys
import unicodedata

import pytest

from indexer.backend import IndexDocument, SearchRequest
from indexer.ngrams import ngrams
from indexer.normalize import normalize
from indexer.query import parse_query
from indexer.segment import tokenize, words
from indexer.snippets import highlight, match_spans, snippet
from indexer.whoosh_backend import WhooshBackend


def test_indexer_does_not_import_flask_or_kmrepo():
    code = ("import sys, indexer.whoosh_backend, indexer.snippets; "
            "assert not any(m.split('.')[0] in ('flask', 'kmrepo') for m in sys.modules), 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_thai_and_arabic_digits_normalise_alike_even_mixed():
    assert words("พ.ศ. ๒๕4๖") == words("พ.ศ. 2546") == ["พศ", "2546"]
    assert words("ภายใน ๑๕ วัน") == words("ภายใน 15 วัน")


def test_invisible_characters_no_break_spaces_and_case():
    assert normalize("A\u200bB\u00a0c").text == "ab c"
    assert words("KM\u00a0Action Plan") == ["km", "action", "plan"]


def test_token_offsets_point_at_the_original_text():
    text = "ผู้เข้ารับการพัฒนา\u200b รายงานผล ภายใน ๑๕ วัน (PDF)"
    for tok in tokenize(text):
        original = text[tok.start : tok.end]
        assert normalize(original).text.replace(".", "") == tok.text


def test_abbreviations_with_and_without_dots_match():
    assert words("พ.ร.บ.") == words("พรบ")
    assert words("อปท.") == words("อปท") == ["อปท"]
    assert words("ต่างๆ") == words("ต่าง ๆ") == ["ต่าง"]


def test_trigrams_bridge_spaces_inserted_inside_thai_words():
    assert ngrams("องค์ ความรู้") == ngrams("องค์ความรู้")
    assert "พัฒ" in ngrams("การพัฒนา")


def test_query_parsing_phrases_exclusions_and_curly_quotes():
    q = parse_query('คู่มือ “ภาษีป้าย” -๒๕๖๕ -')
    assert [(p.text, p.phrase, p.excluded) for p in q.parts] == [
        ("คู่มือ", False, False), ("ภาษีป้าย", True, False), ("2565", False, True)]
    assert parse_query("   ").is_empty


def test_snippet_escapes_html_and_marks_matches():
    text = "<script>alert(1)</script> ภายใน ๑๕ วัน"
    spans = match_spans(text, set(words("15 วัน")))
    html = snippet(text, spans)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>๑๕</mark>" in html and "<mark>วัน</mark>" in html
    assert highlight("a<b", [(0, 1)]) == "<mark>a</mark>&lt;b"


@pytest.fixture
def backend(tmp_path):
    b = WhooshBackend(str(tmp_path / "ix"))
    b.rebuild([
        IndexDocument(id="report", title="คู่มือรายงานผลการอบรม", body="จัดทำรายงานผลภายใน ๑๕ วัน นับแต่วันกลับ",
                      type="manual", department="สำนักปลัด", knowledge_items=["1"], fiscal_year=2568),
        IndexDocument(id="tax", title="ภาษีป้าย", body="ยื่นแบบ ภ.ป.๑ ภายในเดือนมีนาคม ชำระภายใน 15 วัน",
                      type="manual", department="กองคลัง", fiscal_year=2567),
        IndexDocument(id="secret", title="รายงานภายใน", body="รายงานผลการอบรม", type="training_report",
                      visibility="internal"),
    ])
    return b


def test_backend_ranks_title_matches_first_and_filters(backend):
    res = backend.search(SearchRequest("รายงานผล", filters={"visibility": ["public"]}))
    assert [h.id for h in res.hits] == ["report"]
    res = backend.search(SearchRequest("15 วัน", filters={"visibility": ["public"]}))
    assert {h.id for h in res.hits} == {"report", "tax"}
    assert res.facets["department"] == {"สำนักปลัด": 1, "กองคลัง": 1}
    res = backend.search(SearchRequest("15 วัน", filters={"department": ["กองคลัง"], "visibility": ["public"]}))
    assert [h.id for h in res.hits] == ["tax"]


def test_backend_finds_words_inside_compounds_and_excludes(backend):
    assert "report" in [h.id for h in backend.search(SearchRequest("อบรม")).hits]
    ids = [h.id for h in backend.search(SearchRequest("รายงาน -ภายใน")).hits]
    assert "report" not in ids and "secret" not in ids


def test_backend_relaxes_when_no_entry_has_every_word(backend):
    res = backend.search(SearchRequest("ภาษีป้าย ไม่มีคำนี้เลยxyz"))
    assert res.relaxed and [h.id for h in res.hits] == ["tax"]


def test_backend_update_and_delete(backend):
    backend.add([IndexDocument(id="tax", title="ภาษีโรงเรือน", body="ยกเลิกแล้ว")])
    assert backend.search(SearchRequest("ภาษีป้าย")).total == 0
    assert backend.search(SearchRequest("โรงเรือน")).total == 1
    backend.delete(["tax", "no-such-id"])
    assert backend.count() == 2


def test_backend_survives_any_query(backend):
    for q in ['"', "-", '"unterminated', "((", "*", "AND OR NOT", "-" * 50, "ก" * 600, "\u200b"]:
        backend.search(SearchRequest(q))


def test_stale_index_is_flagged_for_rebuild(tmp_path, backend):
    path = backend.path
    with open(f"{path}/kmrepo-schema-version", "w") as fh:
        fh.write("0")
    reopened = WhooshBackend(path)
    assert reopened.needs_rebuild and reopened.count() == 0


def test_snippet_never_starts_on_a_combining_mark():
    text = "ก" * 150 + "ขั้นตอน " + "ค" * 100 + " ภายใน ๑๕ วัน " + "ง" * 300
    html = snippet(text, match_spans(text, {"15"}), max_chars=120)
    body = html.lstrip("…")
    assert unicodedata.category(body[0]) != "Mn"
