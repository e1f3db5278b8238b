"""indexer/ on its own: no Flask, no database."""

import subprocess
import sys
import unicodedata

import pytest

from indexer.backend import IndexDocument, SearchRequest
from indexer.ngrams import ngrams
from indexer.normalize import normalize
from indexer.query import parse_query
from indexer.registry import BACKENDS, open_backend
from indexer.segment import document_words, iter_tokens, tokenize, words
from indexer.snippets import best_snippet, highlight, highlight_terms, hit_html, match_spans, snippet
from indexer.sqlite_backend import SqliteBackend


def test_indexer_does_not_import_flask_or_kmrepo():
    code = ("import sys, indexer.whoosh_backend, indexer.sqlite_backend, indexer.snippets; "
            "assert not any(m.split('.')[0] in ('flask', 'kmrepo') for m in sys.modules), 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_thai_and_arabic_digits_normalise_alike_even_mixed():
    assert words("พ.ศ. ๒๕4๖") == words("พ.ศ. 2546") == ["พศ", "2546"]
    assert words("ภายใน ๑๕ วัน") == words("ภายใน 15 วัน")


def test_invisible_characters_no_break_spaces_and_case():
    assert normalize("A\u200bB\u00a0c").text == "ab c"
    assert words("KM\u00a0Action Plan") == ["km", "action", "plan"]


def test_thai_typing_slips_normalise_with_offsets_into_the_typed_text():
    assert words("ให้้") == words("ให้") and words("เเบบ") == words("แบบ")
    assert words("คนเเดียว") == words("คนเดียว")  # SARA AE never takes ี: a doubled SARA E
    assert words("นํ้า") == words("น้ำ") == words("น้ํา")
    text = "เเบบนํ้าให้้"
    assert [text[t.start : t.end] for t in tokenize(text)] == ["เเบบ", "นํ้า", "ให้้"]


def test_acronyms_read_from_every_spelling_of_their_letter_names():
    from indexer.synonyms import LETTER_NAMES, read_letters, spell_letters

    for letter, names in LETTER_NAMES.items():
        for name in names:
            assert read_letters(name + "โอ") == letter + "o", name
    assert read_letters("เคพีไอ") == "kpi" and spell_letters("kpi") == "เคพีไอ"
    assert spell_letters("html") == "เอชทีเอ็มแอล" and spell_letters("plan") is None  # a word, not letters
    assert read_letters("ดี") is None and read_letters("ดีมาก") is None  # one letter; not all letter names


def test_token_offsets_point_at_the_original_text():
    text = "ผู้เข้ารับการพัฒนา\u200b รายงานผล ภายใน ๑๕ วัน (PDF)"
    for tok in tokenize(text):
        original = text[tok.start : tok.end]
        assert normalize(original).text.replace(".", "") == tok.text


def test_offsets_are_the_same_with_and_without_an_invisible_character():
    """The offset map is made two ways (in C when no character disappears, else one
    character at a time): both point each normalised character at the one it came from."""
    from indexer.normalize import normalize_text

    for text in ("ภาษีป้าย ๒๕๖๖ “KM” – İz", "เเบบ ภ.ป.๑\u00a0นํ้า", "ΑΣ ǅ"):
        plain, hidden = normalize(text), normalize(text[:3] + "\u200b" + text[3:])
        assert plain.text == hidden.text == normalize_text(text)
        assert list(hidden.origin) == [o + (o >= 3) for o in plain.origin]
        for i, ch in enumerate(plain.text):
            came_from = normalize_text(text[plain.origin[i]]).casefold()  # (casefold: "ς" is a final "σ")
            assert ch.casefold() in came_from or ch in "ำแ", (text, i)  # (SARA AM, AE: repaired pairs)


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


DOCS = [
        IndexDocument(id="report", title="คู่มือรายงานผลการอบรม", body="จัดทำรายงานผลภายใน ๑๕ วัน นับแต่วันกลับ",
                      type="manual", department="สำนักปลัด", knowledge_items=["1"], fiscal_year=2568),
        IndexDocument(id="tax", title="ภาษีป้าย", body="ยื่นแบบ ภ.ป.๑ ภายในเดือนมีนาคม ชำระภายใน 15 วัน",
                      type="manual", department="กองคลัง", fiscal_year=2567),
        IndexDocument(id="secret", title="รายงานภายใน", body="รายงานผลการอบรม", type="training_report",
                      visibility="internal"),
]


@pytest.fixture(params=BACKENDS)
def backend(request, open_index):
    """Each backend test runs on every backend: they must behave alike."""
    b = open_index(request.param)
    b.rebuild(DOCS)
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


def test_words_only_in_an_attachment_find_the_entry_and_name_the_file(backend):
    doc = IndexDocument(id="memo", title="หนังสือเวียน", body="ดูรายละเอียดในไฟล์แนบ",
                        attachments=[("รูปภาพ.png", ""), ("คำสั่งแต่งตั้ง.pdf", "แต่งตั้งคณะทำงานจัดการความรู้ ประจำปีงบประมาณ")])
    backend.add([doc])
    hit = next(h for h in backend.search(SearchRequest("คณะทำงาน")).hits if h.id == "memo")
    assert hit.found_in == "คำสั่งแต่งตั้ง.pdf" and "<mark>คณะทำงาน</mark>" in hit.snippet_html
    assert next(h for h in backend.search(SearchRequest("หนังสือเวียน")).hits if h.id == "memo").found_in == ""
    backend.add([IndexDocument(id="memo", title="หนังสือเวียน", body="ดูรายละเอียดในไฟล์แนบ")])  # file removed
    assert "memo" not in [h.id for h in backend.search(SearchRequest("คณะทำงาน")).hits]
    backend.delete(["memo"])
    assert backend.search(SearchRequest("หนังสือเวียน")).total == 0


def test_backend_survives_any_query(backend):
    """Query syntax of the engines below is never passed through: each of these is
    plain text, answered with an ordinary result, and the index still works after."""
    ids = {d.id for d in DOCS}
    nothing_to_find = ["AND OR NOT", "((", "*", "NEAR(a b)", 'title:"x"', "ก" * 600, "a\x00b"]
    browse = ['"', "-", "\u200b", "-" * 50, '""', "\x00"]  # nothing to find: every document, newest first
    for q in nothing_to_find + browse + ['"unterminated', "รายงาน*", "ภาษี(ป้าย)"]:
        res = backend.search(SearchRequest(q, limit=10))
        assert {h.id for h in res.hits} <= ids and res.total >= len(res.hits), q
    for q in nothing_to_find:
        assert backend.search(SearchRequest(q)).total == 0, q
    for q in browse:
        assert backend.search(SearchRequest(q)).total == len(DOCS), q
    assert [h.id for h in backend.search(SearchRequest("ภาษี(ป้าย)")).hits] == ["tax"]
    assert backend.search(SearchRequest("ภาษีป้าย")).hits[0].id == "tax"


@pytest.mark.parametrize("kind", BACKENDS)
def test_stale_index_is_flagged_for_rebuild(tmp_path, kind, monkeypatch, open_index):
    built = open_index(kind)
    assert built.needs_rebuild
    built.rebuild(DOCS)

    def again():
        return type(built)(built.conninfo) if kind == "postgres" else open_backend(kind, str(tmp_path / "ix"))

    assert not again().needs_rebuild
    module = sys.modules[type(built).__module__]
    monkeypatch.setattr(module, "SCHEMA_VERSION", "0")
    reopened = again()
    assert reopened.needs_rebuild and reopened.count() == 0


def test_synonym_spanning_several_typed_words_finds_its_other_variant(backend):
    backend.add([IndexDocument(id="oss", title="ศูนย์บริการร่วม", body="ยื่นคำขอได้ที่ศูนย์บริการร่วมชั้นหนึ่ง")])
    assert "oss" in [h.id for h in backend.search(SearchRequest("One Stop Service")).hits]


def test_knowledge_item_names_are_searched_like_tags(backend):
    backend.add([IndexDocument(id="risk", title="ทะเบียนรายการ", body="ตารางติดตาม",
                               knowledge_items=["7"], knowledge_item_names=["การบริหารความเสี่ยง"])])
    assert [h.id for h in backend.search(SearchRequest("บริหารความเสี่ยง")).hits] == ["risk"]


def test_searches_read_the_old_index_until_a_rebuild_commits(tmp_path):
    import threading

    b = SqliteBackend(str(tmp_path / "ix.sqlite3"))
    b.rebuild(DOCS)
    seen = []

    def search_from_another_thread(_done):  # called mid-rebuild, inside its transaction
        reader = threading.Thread(target=lambda: seen.append(b.search(SearchRequest("ภาษีป้าย")).total))
        reader.start()
        reader.join()

    b.rebuild(DOCS[:1], progress=search_from_another_thread)
    assert seen == [1]
    assert b.search(SearchRequest("ภาษีป้าย")).total == 0 and b.count() == 1


def test_parallel_rebuild_indexes_the_same_as_a_serial_one(tmp_path, monkeypatch):
    import indexer.wordindex as wi

    monkeypatch.setattr(wi, "PARALLEL_MIN_DOCS", 2)
    many = [IndexDocument(id=f"{d.id}-{i}", title=d.title, body=d.body, visibility=d.visibility)
            for i in range(20) for d in DOCS]
    serial, parallel = SqliteBackend(str(tmp_path / "a"), workers=1), SqliteBackend(str(tmp_path / "b"), workers=2)
    assert serial.rebuild(many) == parallel.rebuild(many) == 60
    for q in ("รายงานผล", "15 วัน", "อบรม", "ภาษีป้าย -มีนาคม"):
        a, b = serial.search(SearchRequest(q)), parallel.search(SearchRequest(q))
        assert a.total == b.total and [h.snippet_html for h in a.hits] == [h.snippet_html for h in b.hits]


def test_rebuild_reports_progress_and_a_failed_rebuild_keeps_the_old_index(tmp_path):
    b = SqliteBackend(str(tmp_path / "ix.sqlite3"))
    done = []
    b.rebuild(DOCS, progress=done.append)
    assert sum(done) == 3

    with pytest.raises(AttributeError):  # the second document cannot be analysed
        b.rebuild([DOCS[0], IndexDocument(id="bad", title=None)])
    assert b.count() == 3 and b.search(SearchRequest("ภาษีป้าย")).total == 1


def test_best_snippet_shows_the_region_with_the_most_query_words():
    text = "ภายใน " + "ก" * 500 + " การลาป่วยต้องยื่นใบลาภายในวันแรกที่กลับมาทำงาน " + "ข" * 500
    html = best_snippet(text, set(words("ลาป่วย ภายใน")), {"ลาป่วย"}, max_chars=120)
    assert "<mark>ลาป่วย</mark>" in html and html.startswith("…") and html.endswith("…")


def test_snippet_never_starts_on_a_combining_mark():
    text = "ก" * 150 + "ขั้นตอน " + "ค" * 100 + " ภายใน ๑๕ วัน " + "ง" * 300
    html = snippet(text, match_spans(text, {"15"}), max_chars=120)
    body = html.lstrip("…")
    assert unicodedata.category(body[0]) != "Mn"


def test_a_word_split_by_a_pdf_table_space_is_found_whole(backend):
    backend.add([IndexDocument(id="pdf", title="ตารางสรุป", body="การจัดการ องค์ ความรู้ ในสำนักงาน")])
    assert "pdf" in [h.id for h in backend.search(SearchRequest("องค์ความรู้")).hits]
    assert "pdf" in [h.id for h in backend.search(SearchRequest("ความรู้")).hits]


def test_entries_with_only_some_words_come_after_those_with_all(backend):
    backend.rebuild([
        IndexDocument(id="all", title="คู่มือ", body="การยื่นภาษีป้ายออนไลน์"),
        IndexDocument(id="some", title="ภาษีป้าย", body="ยื่นแบบที่สำนักงาน"),
    ])
    res = backend.search(SearchRequest("ภาษีป้าย ออนไลน์"))
    assert [h.id for h in res.hits] == ["all", "some"] and not res.relaxed and res.total == 2
    assert [h.id for h in backend.search(SearchRequest("ภาษีป้าย ออนไลน์", limit=1, offset=1)).hits] == ["some"]


def test_a_compound_no_entry_has_finds_entries_with_its_words(backend):
    backend.rebuild([
        IndexDocument(id="sign", title="ภาษีป้าย", body="เจ้าของป้ายยื่นแบบภายในเดือนมีนาคม"),
        IndexDocument(id="memo", title="หนังสือแจ้งเวียน", body="แจ้งเวียนทุกกอง"),
        IndexDocument(id="other", title="คู่มือ", body="การจัดเก็บขยะ"),
    ])
    res = backend.search(SearchRequest("ป้ายโฆษณา"))  # one dictionary word, in no entry
    assert [h.id for h in res.hits] == ["sign"] and res.relaxed
    assert "<mark>ป้าย</mark>" in res.hits[0].snippet_html
    assert [h.id for h in backend.search(SearchRequest("หนังสือเวียน")).hits] == ["memo"]
    assert not backend.search(SearchRequest("ป้ายโฆษณา -ภาษี")).hits  # exclusions still hold


def test_a_verb_finds_the_noun_made_of_it_even_among_many_full_matches(backend):
    """PyThaiNLP's word list holds "การอบรม" as one word but splits "การ ฝึกอบรม": a
    search for "อบรม" must find both, as words, not only when few entries match."""
    backend.rebuild([IndexDocument(id=f"course-{i}", title=f"หลักสูตรที่ {i}",
                                   body="หลักสูตรอบรม สำหรับบุคลากร") for i in range(12)]
                    + [IndexDocument(id="noun", title="สรุปผล", body="สรุปผลการอบรมบุคลากรประจำปี ความเสี่ยงต่ำ")])
    res = backend.search(SearchRequest("อบรมบุคลากร", limit=20))
    assert res.total == 13 and "noun" in [h.id for h in res.hits]
    hit = next(h for h in res.hits if h.id == "noun")
    assert "การ<mark>อบรมบุคลากร</mark>" in hit.snippet_html
    assert [h.id for h in backend.search(SearchRequest('"อบรมบุคลากร" เสี่ยง')).hits] == ["noun"]
    assert [h.id for h in backend.search(SearchRequest('"การอบรมบุคลากร"')).hits] == ["noun"]
    assert "noun" not in [h.id for h in backend.search(SearchRequest("บุคลากร -อบรม", limit=20)).hits]


def test_contentless_index_stays_consistent_after_updates_and_deletes(tmp_path):
    b = SqliteBackend(str(tmp_path / "ix.sqlite3"))
    b.rebuild(DOCS)
    b.add([IndexDocument(id="tax", title="ภาษีโรงเรือน", body="องค์ ความรู้ ยกเลิกแล้ว", tags=["ภาษี"])])
    b.add([IndexDocument(id="tax", title="ภาษีป้าย", body="ฉบับใหม่", knowledge_item_names=["รายได้"])])
    b.delete(["report"])
    db = b._db()
    for table in ("words", "grams"):
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
    assert b.search(SearchRequest("โรงเรือน")).total == 0
    assert [h.id for h in b.search(SearchRequest("รายได้")).hits] == ["tax"]


def test_the_fast_indexing_path_gives_the_words_of_the_offset_path():
    """words() (indexing, queries) and tokenize() (highlighting) are two implementations
    of one analysis; on every demo entry they must agree word for word."""
    from pathlib import Path

    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.parent.joinpath("content").rglob("*.md"))]
    texts += ["ประเด็นสาคัญ การดาเนินงาน\nทำงาน ทางาน", "พ.ร.บ.ควบคุมอาคาร ๒๕๒๒ e-GP ต่างๆ ฯลฯ",
              "ผลการ.อบรม ความ.เสี่ยง การอบรมๆ ความ", "KPIs ของ Best Practices (Work Flow) e-bidding ISO 9001"]
    for text in texts:
        plain = words(text)
        assert plain == [t.text for t in tokenize(text)]
        assert document_words(text)[1] == [t.text for t in iter_tokens(text, joins=True)][len(plain):]


def test_an_english_word_finds_its_thai_synonym_inside_longer_words(backend):
    # "มีประสิทธิภาพ" is one dictionary word: a search for "ประสิทธิภาพ" finds it inside
    # that word, and "efficiency" (its synonym) must too.
    backend.rebuild([IndexDocument(id="good", title="การบริหารงาน", body="บริหารงานอย่างมีประสิทธิภาพ")])
    for q in ("ประสิทธิภาพ", "efficiency"):
        assert [h.id for h in backend.search(SearchRequest(q)).hits] == ["good"], q


def test_english_compounds_and_plurals_are_found_however_written(backend):
    backend.rebuild([
        IndexDocument(id="flow", title="ผังงาน", body="ผังกระบวนการงาน (Work Flow) ของงานทะเบียน"),
        IndexDocument(id="bid", title="วิธีซื้อจ้าง", body="ประกาศเชิญชวนทั่วไป (e-bidding)"),
        IndexDocument(id="kpi", title="ตัวชี้วัด", body="สรุป KPIs และ Best Practices ของกอง"),
    ])
    for q, expected in [("workflow", "flow"), ("ebidding", "bid"), ("e-bidding", "bid"), ("kpi", "kpi"),
                        ("best practice", "kpi"), ('"best practices"', "kpi")]:
        assert [h.id for h in backend.search(SearchRequest(q)).hits] == [expected], q


def test_words_typed_together_rank_entries_having_them_together_first(backend):
    backend.rebuild([
        # More of both words, so plain BM25 would put this entry first.
        IndexDocument(id="apart", title="สรุป", body="บุคลากร ทุกคน อบรม ตามแผน บุคลากร ใหม่ อบรม ประจำปี"),
        IndexDocument(id="together", title="สรุป", body="หลักสูตร อบรมบุคลากร ตามแผน ประจำปี ทุกคน ใหม่ ครบ"),
    ])
    assert [h.id for h in backend.search(SearchRequest("อบรมบุคลากร")).hits] == ["together", "apart"]


def test_proximity_looks_only_between_words_not_already_together():
    """Words inside a quoted phrase or a multi-word synonym variant stand together in
    every match, and a noun stands with the word inside it: no bonus pairs for those."""
    from indexer.synonyms import synonyms

    def pairs(text):
        vocabulary = synonyms()
        return vocabulary.proximity_pairs(vocabulary.join_parts(parse_query(text)).required)

    assert pairs("การจัดการความรู้") == []
    assert pairs('"ภายใน ๑๕ วัน"') == []
    assert pairs("อบรมบุคลากร") == [("อบรม", "บุคลากร")]
    assert pairs("ความเสี่ยงภายในองค์กร") == [("เสี่ยง", "ภายใน"), ("ภายใน", "องค์กร")]
    assert pairs('"ภายใน ๑๕ วัน" รายงาน') == [("วัน", "รายงาน")]


def test_km_terms_whose_parts_mean_something_else_are_kept_whole(backend):
    """"ตัวชี้วัด" (indicator) is not ตัว + ชี้ + วัด (body, point, temple), and "คุณอำนวย"
    (the KM facilitator) is not a person called อำนวย (indexer/data/words.txt)."""
    backend.rebuild([
        IndexDocument(id="indicator", title="ตัวชี้วัดแผนการจัดการความรู้", body="คุณอำนวยสรุปผลตามตัวชี้วัด"),
        IndexDocument(id="temple", title="บันทึกกิจกรรม", body="ครูชี้ตัวนักเรียนที่ไปวัด ขอบคุณ อำนวย ที่ช่วยงาน"),
    ])
    assert [h.id for h in backend.search(SearchRequest("ตัวชี้วัด")).hits] == ["indicator"]
    assert backend.search(SearchRequest("คุณอำนวย")).hits[0].id == "indicator"
    assert backend.search(SearchRequest("ชี้วัด")).hits[0].id == "indicator"


def test_a_word_that_the_text_splits_in_two_is_found_and_marked(backend):
    """Table cells pasted from PDF wrap words onto two lines ("ระยะ⏎เวลา"), and the
    segmenter cuts some words apart by context: a query word also matches its two
    halves side by side, never apart."""
    backend.rebuild([
        IndexDocument(id="wrapped", title="แผนการจัดการความรู้", body="ความสำเร็จ\n\tระยะ\nเวลา\n\tตัวชี้วัด เป้าหมาย"),
        IndexDocument(id="apart", title="บันทึก", body="ระยะทางไกล ใช้เวลานาน ตัวชี้วัด ไม่ชัด"),
    ])
    res = backend.search(SearchRequest("ระยะเวลา ตัวชี้วัด"))
    assert [h.id for h in res.hits] == ["wrapped", "apart"]  # "apart" has only some of the words
    assert "<mark>ระยะ เวลา</mark>" in res.hits[0].snippet_html  # snippets fold line breaks
    assert [h.id for h in backend.search(SearchRequest("ระยะเวลา")).hits] == ["wrapped"]


def test_a_word_the_segmenter_cuts_at_another_place_is_found(backend):
    """Maximal matching reads a run by its neighbours: "วิธีการ" is วิธี|การบริหาร in
    the Royal Decree's title, "แนวทาง" is แนว|ทางการ before ดำเนินงาน, "การปฏิบัติ"
    is การ|ปฏิบัติงาน, "ขั้นตอน" is ขั้น|ตอนที่ and "กองคลัง" was ของกอง|คลัง. Each is
    still found, and marked."""
    backend.rebuild([
        IndexDocument(id="decree", title="หลักการ", body="พระราชกฤษฎีกาว่าด้วยหลักเกณฑ์และวิธีการบริหารกิจการบ้านเมืองที่ดี"),
        IndexDocument(id="meeting", title="บันทึก", body="ประชุมชี้แจงแนวทางการดำเนินงานให้ทุกกอง"),
        IndexDocument(id="manual", title="คู่มือ", body="จัดทำคู่มือการปฏิบัติงานของกองคลัง"),
        IndexDocument(id="steps", title="คู่มือ", body="หมายเหตุ ขั้นตอนที่ ๒ การแสวงหาความรู้"),
        IndexDocument(id="apart", title="วิธีใหม่", body="ใช้วิธีใหม่ในการทำงาน ทางเดินแนวใหม่ ขั้นบันได"),
    ])
    for query, expected, marked in [("วิธีการ", "decree", "และ<mark>วิธีการ</mark>บริหาร"),
                                    ("แนวทาง", "meeting", "ชี้แจง<mark>แนวทาง</mark>การ"),
                                    ("การปฏิบัติ", "manual", "คู่มือ<mark>การปฏิบัติ</mark>งาน"),
                                    ("กองคลัง", "manual", "ของ<mark>กองคลัง</mark>"),
                                    ("ขั้นตอน", "steps", "<mark>ขั้นตอน</mark>ที่")]:
        res = backend.search(SearchRequest(query))
        assert [h.id for h in res.hits] == [expected], query  # never "apart": วิธี … การ, แนว … ทาง
        assert marked in res.hits[0].snippet_html


def test_a_query_typed_without_spaces_also_matches_its_other_reading(backend):
    """Typed alone, "ระเบียบการฝึกอบรม" segments as ระเบียบการ|ฝึกอบรม, but the
    regulation reads ระเบียบ … การ|ฝึกอบรม; "วิธีการรายงานผล" segments as
    วิธี|การรายงานผล, but a manual reads วิธีการ … รายงาน|ผล. Both have all the words
    the user typed, so both are full matches, not "some words only"."""
    backend.rebuild([
        IndexDocument(id="regulation", title="ระเบียบกระทรวงมหาดไทยว่าด้วยค่าใช้จ่ายในการฝึกอบรม", body="หมวด ๑"),
        IndexDocument(id="manual", title="คู่มือ", body="กำหนดวิธีการให้ชัดเจน แล้วรายงานผลทุกไตรมาส"),
        IndexDocument(id="other", title="การฝึกอบรม", body="หลักสูตรใหม่"),
    ])
    res = backend.search(SearchRequest("ระเบียบการฝึกอบรม"))
    assert res.hits[0].id == "regulation" and not res.relaxed
    assert res.hits[0].title_html == "<mark>ระเบียบ</mark>กระทรวงมหาดไทยว่าด้วยค่าใช้จ่ายใน<mark>การฝึกอบรม</mark>"
    res = backend.search(SearchRequest("วิธีการรายงานผล"))
    assert [h.id for h in res.hits] == ["manual"] and not res.relaxed


def test_readings_move_kan_and_khwam_across_a_boundary():
    from indexer.segment import readings

    assert readings("ระเบียบการฝึกอบรม") == [["ระเบียบการ", "ฝึกอบรม"], ["ระเบียบ", "การ", "ฝึกอบรม"]]
    assert readings("วิธีการรายงานผล") == [["วิธี", "การรายงานผล"], ["วิธีการ", "รายงาน", "ผล"]]
    assert readings("จัดการความรู้") == [["จัดการ", "ความรู้", "รู้"]]  # การ before ความ… stays


def test_splits_are_two_dictionary_words_of_two_letters_or_more():
    from indexer.segment import segmenter, splits

    dictionary = segmenter().dictionary
    assert splits("ระยะเวลา", dictionary) == [("ระยะ", "เวลา")]
    assert splits("ระเบียบการ", dictionary) == [("ระเบียบ", "การ")]
    assert splits("การปฏิบัติ", dictionary) == [("การ", "ปฏิบัติ")]  # "การ|ปฏิบัติงาน" in texts
    assert splits("อาคาร", dictionary) == [] and splits("KM", dictionary) == []


def test_a_stop_word_of_a_query_is_never_marked_inside_another_word():
    terms, subs = highlight_terms(parse_query("ระเบียบการฝึกอบรม"))
    title, snip = hit_html("ระเบียบว่าด้วยค่าใช้จ่ายในการฝึกอบรม", "เพื่อประโยชน์ของทางราชการ", "", terms, subs)
    assert title == "<mark>ระเบียบ</mark>ว่าด้วยค่าใช้จ่ายใน<mark>การฝึกอบรม</mark>"
    assert "<mark>" not in snip  # not the การ of ราชการ
    # Nor does a stretch of many "การ" win the snippet over one with a word of the query.
    body = "การประชุม การเงิน การคลัง " * 10 + "เทศบาลตำบลบ้านใหม่ " * 20 + "ให้ถือปฏิบัติตามระเบียบกระทรวงมหาดไทย"
    assert "ตาม<mark>ระเบียบ</mark>กระทรวง" in best_snippet(body, terms, subs)


def test_a_synonym_of_several_words_is_marked_only_where_they_stand_together():
    terms, subs = highlight_terms(parse_query("FAQ"))  # = ถาม-ตอบ = ถามตอบ = ถาม ตอบ
    assert highlight("ถาม–ตอบ งานพัสดุ", match_spans("ถาม–ตอบ งานพัสดุ", terms, subs)) == "<mark>ถาม–ตอบ</mark> งานพัสดุ"
    text = "ถาม ซื้อวัสดุได้ไหม ตอบ ได้ ตามวิธีเฉพาะเจาะจง"
    assert "<mark>" not in highlight(text, match_spans(text, terms, subs))


def test_stop_words_of_a_query_are_marked_only_beside_its_other_words():
    terms = set(words("ค่าใช้จ่ายในการฝึกอบรม"))
    text = "การแนบไฟล์และการประกาศผล ตามค่าใช้จ่ายในการฝึกอบรม"
    html = highlight(text, match_spans(text, terms))
    assert html == "การแนบไฟล์และการประกาศผล ตาม<mark>ค่าใช้จ่ายในการฝึกอบรม</mark>"
    assert highlight("ในการ", match_spans("ในการ", set(words("ในการ")))) == "<mark>ในการ</mark>"  # only stop words


def test_question_words_are_optional_parts_of_their_own():
    q = parse_query("ภาษีป้ายยื่นเมื่อไหร่ -ไหม")
    assert [(p.text, p.optional, p.excluded) for p in q.parts] == [
        ("ภาษีป้ายยื่น", False, False), ("เมื่อไหร่", True, False), ("ไหม", False, True)]
    assert [p.text for p in q.required] == ["ภาษีป้ายยื่น"]
    assert [p.text for p in parse_query("ภายในกี่วัน").required] == ["ภายใน", "วัน"]
    # Nothing but question words, or quoted: searched as typed.
    assert [(p.text, p.optional) for p in parse_query("อะไร").parts] == [("อะไร", False)]
    assert [(p.text, p.optional) for p in parse_query('"ทำอย่างไร"').parts] == [("ทำอย่างไร", False)]
    # In a question, the words that glue it together are optional too; elsewhere they count.
    assert [p.text for p in parse_query("อบรมแล้วต้องทำอะไร").required] == ["อบรม", "ทำ"]
    assert [p.text for p in parse_query("อยากทราบขั้นตอนการลา").required] == ["ขั้นตอนการลา"]
    assert [p.text for p in parse_query("ต้องส่งรายงาน").required] == ["ต้องส่งรายงาน"]


def test_a_query_typed_as_a_question_finds_the_answer_with_all_its_words(backend):
    """Staff type questions: the entries that answer them seldom hold "เมื่อไหร่" or
    "ไหม", so those words are not required (no "some words only"), but the
    question-and-answer entry that asks the very question ranks first."""
    backend.rebuild([
        IndexDocument(id="manual", title="คู่มือการจัดเก็บภาษีป้าย", body="เจ้าของป้ายยื่นแบบ ภ.ป.๑ ภายในเดือนมีนาคม"),
        IndexDocument(id="faq", title="ถาม–ตอบ ภาษีป้าย", body="ถาม: ยื่นแบบภาษีป้ายเมื่อไหร่ ตอบ: ภายในเดือนมีนาคม"),
        IndexDocument(id="other", title="ภาษีที่ดิน", body="ชำระภาษีภายในเดือนเมษายน ถามได้เมื่อไหร่ก็ได้"),
    ])
    res = backend.search(SearchRequest("ภาษีป้ายยื่นเมื่อไหร่"))
    assert [h.id for h in res.hits][:2] == ["faq", "manual"] and not res.relaxed  # then "other", partly
    assert "เมื่อไหร่</mark>" in res.hits[0].snippet_html
    res = backend.search(SearchRequest("ยื่นภาษีป้ายไหม ครับ"))
    assert {h.id for h in res.hits[:2]} == {"faq", "manual"} and not res.relaxed
    res = backend.search(SearchRequest("ผมต้องยื่นภาษีป้ายเมื่อไหร่"))  # "ผม", "ต้อง": in no entry
    assert [h.id for h in res.hits][:2] == ["faq", "manual"] and not res.relaxed


def test_an_analysis_made_ahead_is_used_only_for_the_text_it_was_made_from(tmp_path, monkeypatch):
    import dataclasses

    from indexer import wordindex

    backend = SqliteBackend(str(tmp_path / "ix.sqlite"))
    backend.rebuild([])
    doc = IndexDocument(id="a", title="ภาษีป้าย", body="ยื่นแบบภายในมีนาคม")
    made = backend.prepare(doc)
    calls = []
    real = wordindex.analyze
    monkeypatch.setattr(wordindex, "analyze", lambda d: calls.append(d.id) or real(d))
    backend.add([dataclasses.replace(doc, prepared=made)])
    assert calls == [] and [h.id for h in backend.search(SearchRequest("มีนาคม")).hits] == ["a"]
    changed = dataclasses.replace(doc, body="ยื่นแบบภายในเมษายน", prepared=made)  # text changed since
    backend.add([changed])
    assert calls == ["a"] and [h.id for h in backend.search(SearchRequest("เมษายน")).hits] == ["a"]
    assert backend.search(SearchRequest("มีนาคม")).total == 0


def test_the_postgres_backend_indexes_words_and_pairs_and_needs_a_postgres_url():
    """What the postgres backend stores and asks, checked without a server: each word
    and each pair of neighbours (a phrase is its pairs, so the GIN index alone answers),
    and a clear error for a database URL that is not PostgreSQL."""
    from indexer.postgres_backend import _Words, connection_info, lexemes, tsvector_literal

    assert lexemes(["รายงาน ผล การ อบรม"]) == {"รายงาน", "ผล", "การ", "อบรม", "รายงาน ผล", "ผล การ", "การ อบรม"}
    assert "'ผล การ'" in tsvector_literal(["รายงาน ผล การ อบรม", "", "", "x"])
    assert _Words.phrase(["รายงาน", "ผล", "การ"]) == "('รายงาน ผล' & 'ผล การ')"
    assert _Words.phrase(["วิธี", "การ"], prefix=True) == "('วิธี การ':*)"
    assert _Words.phrase(["it's"]) == "('it s')" and _Words.phrase(["..."]) == "'_'"  # quotes never reach a lexeme
    assert connection_info("postgresql+psycopg://u:p@db/km?host=/tmp") == "postgresql://u:p@db/km?host=/tmp"
    with pytest.raises(ValueError, match="PostgreSQL database URL"):
        connection_info("sqlite:////srv/kmrepo/instance/kmrepo.sqlite3")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_server_catches_up_with_what_another_changed_in_a_shared_index(kind, open_index, tmp_path, monkeypatch):
    """Two processes on one index (two app servers on one PostgreSQL; the web server
    and a ``kmrepo load`` on one SQLite file): what one saves, deletes or moves to
    another unit, the other's next search shows (matches inside title words, filters,
    facet counts, browsing) from those changes alone, without reading every document
    again; after a rebuild, it reads the new index whole."""
    from dataclasses import replace

    from indexer import postgres_backend, sqlite_backend

    a = open_index(kind)
    b = open_backend(kind, "", a.conninfo) if kind == "postgres" else open_backend(kind, str(tmp_path / "ix"))
    caught: list[bool] = []  # each catching up, and whether it could
    module, name = (postgres_backend._Cache, "after") if kind == "postgres" else (sqlite_backend, "_caught_up")
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args: caught.append((found := real(*args)) is not None) or found)
    try:
        docs = [IndexDocument(id=f"d{i}", title=f"คู่มือเรื่องที่ {i}", body="ขั้นตอนการปฏิบัติงาน",
                              department="กองช่าง") for i in range(30)]
        a.rebuild(docs)
        assert a.search(SearchRequest("ขั้นตอน")).total == 30  # what a keeps in memory is read
        b.add([IndexDocument(id="new", title="คู่มือระบบ WorkFlowPro", body="ขั้นตอนการปฏิบัติงาน",
                             department="กองคลัง")])
        b.delete(["d0"])
        b.add([replace(docs[1], department="กองคลัง")])
        assert [h.id for h in a.search(SearchRequest("flowpro")).hits] == ["new"]  # inside a title word
        res = a.search(SearchRequest("ขั้นตอน", limit=50))
        assert res.total == 30 and "d0" not in {h.id for h in res.hits}
        assert res.facets["department"] == {"กองช่าง": 28, "กองคลัง": 2}
        moved = a.search(SearchRequest("", filters={"department": ["กองคลัง"]}, limit=50))
        assert {h.id for h in moved.hits} == {"new", "d1"}
        listed = a.search(SearchRequest("", limit=50))  # browsing: every entry, the newest first
        assert listed.total == 30 and sorted(h.id for h in listed.hits) == sorted(["new", *(f"d{i}" for i in range(1, 30))])
        assert listed.facets["department"] == {"กองช่าง": 28, "กองคลัง": 2}
        assert caught == [True]  # caught up once, from the three changes
        b.rebuild(docs[:3])
        assert {h.id for h in a.search(SearchRequest("ขั้นตอน")).hits} == {"d0", "d1", "d2"}
        assert a.search(SearchRequest("flowpro")).total == 0 and caught == [True]  # read whole
    finally:
        getattr(b, "close", lambda: None)()
