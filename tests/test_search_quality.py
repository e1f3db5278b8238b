"""What staff mean: PDF defects, abbreviations and synonyms, misspellings, suggestions."""

from __future__ import annotations

from kmrepo import create_app

from .helpers import search


def _slugs(client, q, **params):
    return [r["slug"] for r in search(client, q, **params)["results"]]


def test_sara_am_pasted_from_pdf_is_repaired(client, load, write_entry):
    write_entry("pdf", "ประเด็นสาคัญ การดาเนินงานประจาปี จานวน ๕ โครงการ")  # as pasted from a PDF
    write_entry("typed", "เรื่องที่สำคัญมาก")
    load(write_entry.folder)
    assert set(_slugs(client, "สำคัญ")) == {"pdf", "typed"}
    assert _slugs(client, "ดำเนินงาน") == ["pdf"]
    assert _slugs(client, "ประจำปี จำนวน") == ["pdf"]
    assert set(_slugs(client, "สาคัญ")) == {"pdf", "typed"}  # the query is repaired the same way
    snippet = search(client, "สำคัญ")["results"][0]["snippet"]
    assert "<mark>" in snippet


def test_thai_typing_slips_are_read_as_meant(client, load, write_entry):
    # As in the real plans: a doubled tone mark ("ให้้", pathumthani-pao-2566-plan1-risk.txt),
    # SARA E typed twice ("คนเเดียว", banmai-municipality.txt), SARA AM split by a PDF.
    write_entry("plan", "เพื่อให้้หน่วยงานจัดทำเเผนงาน ไม่ใช่ภาระของคนเเดียว", title="แผนงาน")
    write_entry("flood", "ระดับนํ้าท่วมสูงสุด", title="อุทกภัย")
    load(write_entry.folder)
    assert _slugs(client, "ให้หน่วยงาน") == ["plan"]
    assert _slugs(client, "แผนงาน") == ["plan"] and _slugs(client, "คนเดียว") == ["plan"]
    typed = search(client, "เเผนงาน")  # the query is read the same way: no "did you mean"
    assert [r["slug"] for r in typed["results"]] == ["plan"] and not typed.get("corrected_query")
    hit = search(client, "น้ำท่วม")["results"][0]
    assert hit["slug"] == "flood" and "<mark>นํ้าท่วม</mark>" in hit["snippet"]


def test_acronyms_spelled_out_in_thai_letter_names(client, load, write_entry):
    write_entry("kpi", "ตัวชี้วัดหลัก (KPI) ของแผนการจัดการความรู้", title="ตัวชี้วัดหลัก")
    write_entry("it", "งานไอทีดูแลระบบสำรองข้อมูลของเทศบาล", title="งานระบบสารสนเทศ")
    write_entry("km", "ทีม KM ประชุมทุกเดือน", title="ทีมงาน")
    load(write_entry.folder)
    assert _slugs(client, "เคพีไอ") == ["kpi"]  # as typed by someone who does not switch keyboards
    assert _slugs(client, "IT") == ["it"]  # and the other way round
    assert _slugs(client, "เคเอ็ม") == ["km"]  # an acronym with synonyms keeps them
    hit = search(client, "เคพีไอ")["results"][0]
    assert "<mark>KPI</mark>" in hit["snippet"]


def test_thai_months_however_written_and_loanwords_however_spelt(client, load, write_entry):
    write_entry("course", "อบรมวันที่ ๒–๔ ต.ค. ๖๘ ที่ศาลากลาง", title="หลักสูตรพัสดุ")
    write_entry("plan", "ส่งแผนภายใน มี.ค. 2566", title="กำหนดส่งแผน")
    write_entry("pr", "ประชาสัมพันธ์ทางเฟซบุ๊กของเทศบาล", title="ช่องทางเผยแพร่")
    load(write_entry.folder)
    for q in ("ตุลาคม", "ตุลา 68", "ต.ค. 2568", "ตุลาคม 2568"):
        data = search(client, q)
        assert [r["slug"] for r in data["results"]] == ["course"] and not data["relaxed"], q
    assert _slugs(client, "มีนาคม 66") == ["plan"]
    assert _slugs(client, "เฟสบุ๊ค") == ["pr"] and _slugs(client, "Facebook") == ["pr"]


def test_english_words_however_written_plural_apart_or_hyphenated(client, load, write_entry):
    # As the real plans write them: "ผังกระบวนการงาน (Work Flow)" (dla-2562.txt), "Web board"
    # (banmai-municipality.txt), "Infographics", "KPIs".
    write_entry("flow", "ผังกระบวนการงาน (Work Flow) ของงานทะเบียน", title="ขั้นตอนงานทะเบียน")
    write_entry("bid", "ประกาศเชิญชวนทั่วไป (e-bidding) วงเงินเกิน ๕ แสนบาท", title="วิธีซื้อจ้าง")
    write_entry("kpi", "สรุป KPIs ของแผนและการจัดทำ Infographics เผยแพร่", title="ตัวชี้วัดของแผน")
    write_entry("web", "ตอบคำถามผ่าน webboard ของเทศบาล", title="ช่องทางถามตอบ")
    load(write_entry.folder)
    hit = search(client, "workflow")["results"][0]
    assert hit["slug"] == "flow" and "<mark>Work Flow</mark>" in hit["snippet"]
    assert "<mark>ผังกระบวนการงาน</mark>" in hit["snippet"] and "ของงาน" in hit["snippet"]  # not every งาน
    assert _slugs(client, "ebidding") == ["bid"]
    for q in ("KPI", "kpis", "infographic", "เคพีไอ"):
        assert _slugs(client, q) == ["kpi"], q
    assert "<mark>KPIs</mark>" in search(client, "KPI")["results"][0]["snippet"]
    assert _slugs(client, "web board") == ["web"]  # the other way round: a synonym in the file


def test_abbreviations_and_synonyms(client, load, write_entry):
    write_entry("act", "ตามพระราชบัญญัติควบคุมอาคาร พ.ศ. ๒๕๒๒", title="สรุปกฎหมายอาคาร")
    write_entry("tambon", "องค์การบริหารส่วนตำบลบ้านใหม่ จัดเวทีประชาคม", title="เวทีประชาคม")
    write_entry("web", "ประกาศผลทางเว็บไซต์ของเทศบาล", title="การประกาศผล")
    write_entry("faq", "ถาม-ตอบ เรื่องภาษีป้าย", title="ภาษีป้าย")
    load(write_entry.folder)
    assert _slugs(client, "พรบ ควบคุมอาคาร") == ["act"]
    assert _slugs(client, "พ.ร.บ.") == ["act"]
    assert _slugs(client, "อบต") == ["tambon"]
    assert _slugs(client, "อบต.บ้านใหม่") == ["tambon"]
    assert _slugs(client, "เวปไซต์") == ["web"] and _slugs(client, "website") == ["web"]
    assert _slugs(client, "ถามตอบ") == ["faq"]
    hit = search(client, "พรบ")["results"][0]
    assert "<mark>พระราชบัญญัติ</mark>" in hit["snippet"]


def test_colloquial_names_and_spellings_staff_type(client, load, write_entry):
    write_entry("flood", "บทเรียนการแจกจ่ายถุงยังชีพช่วงอุทกภัย", title="บทเรียนอุทกภัย")
    write_entry("egp", "ขั้นตอนในระบบ e-GP ตั้งแต่จัดทำรายงานขอซื้อ", title="คู่มือจัดซื้อจัดจ้าง")
    write_entry("elderly", "รับลงทะเบียนเบี้ยยังชีพผู้สูงอายุ", title="คู่มือเบี้ยยังชีพ")
    write_entry("web", "ประกาศผลทางเว็บไซต์ของเทศบาล", title="การประกาศผล")
    write_entry("tax", "ผู้เสียภาษีชำระภาษีภายในเดือนเมษายน", title="ภาษีที่ดิน")
    load(write_entry.folder)
    assert _slugs(client, "น้ำท่วม") == ["flood"]
    assert _slugs(client, "egp") == ["egp"] and _slugs(client, "อีจีพี") == ["egp"]
    assert _slugs(client, "เบี้ยคนชรา") == ["elderly"]
    assert _slugs(client, "เวปไซด์") == ["web"]
    assert _slugs(client, "จ่ายภาษี") == ["tax"]


def test_memo_abbreviations_and_numbers_glued_to_letters(client, load, write_entry):
    write_entry("fair", "มหกรรมแลกเปลี่ยนเรียนรู้ของทุกกอง", title="KM Day")
    write_entry("check", "คณะกรรมการตรวจรับพัสดุลงนามครบ", title="ตรวจรับพัสดุ")
    write_entry("kmp", "ขั้นตอนที่ ๖ การแบ่งปันแลกเปลี่ยนความรู้ (KMP ๖)", title="กระบวนการจัดการความรู้")
    load(write_entry.folder)
    assert _slugs(client, "ลปรร.") == ["fair"] and _slugs(client, "ลปรร") == ["fair"]
    assert _slugs(client, "คกก.ตรวจรับ") == ["check"]  # ค + กก + ตรวจรับ, before the word list
    assert _slugs(client, "kmp6") == ["kmp"] and _slugs(client, "KMP6") == ["kmp"]


def test_the_km_team_extends_the_vocabulary_in_a_file(app, client, runner, load, write_entry):
    write_entry("info", "ศูนย์ข้อมูลข่าวสารของราชการ เปิดให้บริการทุกวัน")
    load(write_entry.folder)
    assert _slugs(client, "ศขข") == []
    folder = app.instance_path + "/vocabulary"
    import os

    os.makedirs(folder)
    with open(folder + "/synonyms.txt", "w", encoding="utf-8") as fh:
        fh.write("# เพิ่มโดยทีมงาน KM\nศขข = ศูนย์ข้อมูลข่าวสาร\n")
    with open(folder + "/words.txt", "w", encoding="utf-8") as fh:
        fh.write("ศขข\n")
    # Restarting is enough: the vocabulary changed, so the index is rebuilt on start.
    again = create_app({"TESTING": True, "INSTANCE_PATH": app.instance_path, "DATABASE_URL": app.config["DATABASE_URL"]})
    assert _slugs(again.test_client(), "ศขข") == ["info"]


def test_featured_entries_rank_a_little_higher(client, load, write_entry):
    write_entry("plain", "คู่มือการจัดเก็บภาษีป้าย", title="ภาษีป้าย")
    write_entry("star", "คู่มือการจัดเก็บภาษีป้าย", title="ภาษีป้าย", featured="true")
    load(write_entry.folder)
    assert _slugs(client, "ภาษีป้าย") == ["star", "plain"]


def test_did_you_mean(client, load, write_entry):
    write_entry("a", "ระเบียบกระทรวงมหาดไทยว่าด้วยการฝึกอบรม", title="ระเบียบการฝึกอบรม")
    load(write_entry.folder)
    data = search(client, "ระเบีนบ")  # no entry has it: the results are those of the correction
    assert data["corrected_query"] == "ระเบียบ" and [r["slug"] for r in data["results"]] == ["a"]
    page = client.get("/search", query_string={"q": "ระเบีนบ"}).get_data(as_text=True)
    assert "แสดงผลการค้นหาของ" in page and "ระเบียบ" in page and "ตามที่พิมพ์" in page
    assert "exact=1" in page
    data = search(client, "ระเบีนบ", exact="1")  # "search for what I typed"
    assert data["total"] == 0 and data["corrected_query"] is None and data["suggestion"] == "ระเบียบ"
    page = client.get("/search", query_string={"q": "ระเบีนบ", "exact": "1"}).get_data(as_text=True)
    assert "คุณหมายถึง" in page
    data = search(client, "ระเบียบ")
    assert data["suggestion"] is None and data["corrected_query"] is None


def test_did_you_mean_mends_a_misspelt_word_inside_a_longer_query(client, load, write_entry):
    """The segmenter cuts a misspelt word into fragments ("เด้ก" → "เด้" + "ก"): they
    are corrected together, with the word next to them when that is what was meant."""
    write_entry("lunch", "มาตรฐานอาหารกลางวันของศูนย์พัฒนาเด็กเล็ก", title="ศูนย์พัฒนาเด็กเล็ก")
    write_entry("elderly", "การรับเบี้ยยังชีพผู้สูงอายุ ต้องลงทะเบียนก่อน ไม่ต้องชำระภาษี", title="เบี้ยยังชีพ")
    load(write_entry.folder)
    data = search(client, "ศูนย์พัฒนาเด้กเล็ก")
    assert data["corrected_query"] == "ศูนย์พัฒนาเด็กเล็ก" and [r["slug"] for r in data["results"]] == ["lunch"]
    assert search(client, "เบี้ยยังชีพผู้สูงอายู")["corrected_query"] == "เบี้ยยังชีพผู้สูงอายุ"
    data = search(client, "ลงทะเบียน ภาศื")  # two edits from "ภาษี": offered, not applied
    assert data["corrected_query"] is None and data["suggestion"] == "ลงทะเบียน ภาษี"
    data = search(client, "อาหารกลางวัน การลา")  # not two letters short of "การ"
    assert data["corrected_query"] is None and data["suggestion"] is None and data["relaxed"]


def test_did_you_mean_mends_a_misspelt_word_cut_into_words_the_index_has(client, load, write_entry):
    # "คุณอำนาย" segments as คุณ + อำ + นาย, all indexed here: no piece looks misspelt.
    write_entry("role", "คุณอำนวยช่วยอำนวยความสะดวกในวงแลกเปลี่ยนเรียนรู้", title="บทบาทคุณอำนวย")
    write_entry("pdf", "คุณ นาย สมชาย ตรวจทานคำที่มีสระอำ", title="นำเข้าเอกสาร")
    write_entry("desk", "จุดบริการเพื่อความสะดวกของประชาชน", title="จุดบริการ")
    load(write_entry.folder)
    data = search(client, "คุณอำนายความสะดวก")
    assert data["corrected_query"] == "คุณอำนวยความสะดวก" and data["results"][0]["slug"] == "role"


def test_did_you_mean_drops_a_silent_letter_typed_with_its_thanthakhat(client, load, write_entry):
    # "ทรัพยากรณ์" (after พยากรณ์) for ทรัพยากร: ณ and ์ go together, one slip, not two.
    write_entry("hr", "แผนพัฒนาทรัพยากรบุคคลประจำปี", title="แผนพัฒนาบุคลากร")
    load(write_entry.folder)
    data = search(client, "ทรัพยากรณ์บุคคล")
    assert data["corrected_query"] == "ทรัพยากรบุคคล" and [r["slug"] for r in data["results"]] == ["hr"]


def test_suggestions_while_typing(client, auth, load, write_entry):
    write_entry("a", "เนื้อหา", title="คู่มือการลาป่วย ลาพักผ่อน")
    write_entry("b", "เนื้อหา", title="คู่มือภายในกองคลัง", visibility="internal", tags="[คู่มือภายใน]")
    load(write_entry.folder)
    data = client.get("/api/suggest", query_string={"q": "คู่มือ"}).get_json()
    assert [s["text"] for s in data["suggestions"]] == ["คู่มือการลาป่วย ลาพักผ่อน"]  # not the internal one
    assert data["suggestions"][0]["url"] == "/entries/a"
    assert client.get("/api/suggest", query_string={"q": "ค"}).get_json()["suggestions"] == []
    auth.login("reader")
    texts = [s["text"] for s in client.get("/api/suggest", query_string={"q": "คู่มือ"}).get_json()["suggestions"]]
    assert "คู่มือภายในกองคลัง" in texts
    assert client.get("/static/suggest.js").status_code == 200


def test_a_letter_typed_twice_at_the_end_of_a_query_is_mended(client, load, write_entry):
    write_entry("reg", "ค่าใช้จ่ายในการฝึกอบรมของเจ้าหน้าที่ท้องถิ่น", title="ระเบียบค่าใช้จ่ายในการฝึกอบรม")
    write_entry("law", "พ.ร.บ. เทศบาล ม. ๕๐ หน้าที่ของเทศบาล", title="หน้าที่ของเทศบาล")  # "ม" is in the index
    load(write_entry.folder)
    data = search(client, "ค่าใช้จ่ายในการฝึกอบรมม")
    assert data["corrected_query"] == "ค่าใช้จ่ายในการฝึกอบรม" and data["results"][0]["slug"] == "reg"


def test_a_query_typed_on_the_english_keyboard_layout_is_read_as_thai(client, load, write_entry):
    """Staff often type Thai with the keyboard still on English: "4kKuxhkp" is what
    "ภาษีป้าย" gives then. The results are those of the Thai, named, with a link to
    search what was typed; a Latin word the index has ("km") is never converted."""
    write_entry("tax", "คู่มือการจัดเก็บภาษีป้าย ยื่นแบบภายในเดือนมีนาคม", title="ภาษีป้าย")
    write_entry("km", "แผน KM ประจำปี", title="แผนการจัดการความรู้")
    load(write_entry.folder)
    data = search(client, "4kKuxhkp")
    assert data["corrected_query"] == "ภาษีป้าย" and [r["slug"] for r in data["results"]] == ["tax"]
    page = client.get("/search", query_string={"q": "4kKuxhkp"}).get_data(as_text=True)
    assert "แสดงผลการค้นหาของ" in page and "ภาษีป้าย" in page
    data = search(client, "km")
    assert data["corrected_query"] is None and [r["slug"] for r in data["results"]] == ["km"]
    assert search(client, "4kKuxhkp", exact="1")["results"] == []


def test_a_fiscal_year_typed_short_finds_the_entries_of_that_year(client, load, write_entry):
    """Staff write the Buddhist Era year by its last two digits after "ปี" or "ปีงบ";
    an entry's fiscal year is searched with its labels."""
    write_entry("r68", "สรุปสาระสำคัญของหลักสูตร", title="รายงานผลการอบรม e-GP", fiscal_year=2568)
    write_entry("r67", "สรุปสาระสำคัญของหลักสูตร", title="รายงานผลการอบรม ภาษีป้าย", fiscal_year=2567)
    write_entry("plan", "แผนการจัดการความรู้ ประจำปีงบประมาณ ๒๕๖๖", title="แผน KM")
    load(write_entry.folder)
    data = search(client, "รายงานผลการอบรม ปีงบ 68")
    assert data["results"][0]["slug"] == "r68" and not data["relaxed"]  # then those with some words
    assert data["total"] == 3 and search(client, "รายงานผลการอบรม ปีงบ 69")["relaxed"]
    assert _slugs(client, "ปี67") == ["r67"]
    assert _slugs(client, "แผน KM ปี 66")[0] == "plan"
    assert _slugs(client, "ปีงบประมาณ 2568")[0] == "r68"
    assert _slugs(client, "68") == []  # a bare number is not a year


def test_the_page_shows_where_entries_with_every_word_end(client, load, write_entry):
    """ภาษีป้าย: two entries have both words; the land-tax entries that share only ภาษี
    follow below a divider, and the count says which is which."""
    write_entry("sign1", "การยื่นแบบภาษีป้าย ภ.ป.๑", title="คู่มือภาษีป้าย")
    write_entry("sign2", "อัตราภาษีป้ายตามขนาดป้าย", title="อัตราภาษีป้าย")
    for i in range(3):
        write_entry(f"land{i}", f"การชำระภาษี ของที่ดินและสิ่งปลูกสร้าง งวดที่ {i}", title=f"ภาษีที่ดิน {i}")
    load(write_entry.folder)
    data = search(client, "ภาษีป้าย")
    assert [r["every_word"] for r in data["results"]] == [True, True, False, False, False]
    assert data["every_word_total"] == 2 and data["total"] == 5 and not data["relaxed"]
    page = client.get("/search", query_string={"q": "ภาษีป้าย"}).get_data(as_text=True)
    assert "พบ 2 รายการที่มีครบทุกคำของ “ภาษีป้าย”" in page and "อีก 3 รายการที่มีเพียงบางคำ" in page
    divider = page.index("เอกสารต่อไปนี้มีคำค้นเพียงบางคำ")
    assert page.index("/entries/sign2") < divider < page.index("/entries/land0")


def test_a_query_nothing_has_all_of_says_so_before_partial_matches(client, load, write_entry):
    write_entry("a", "ผลลัพธ์ของการดำเนินงาน", title="รายงาน")
    load(write_entry.folder)
    data = search(client, "xyzzyไม่มีผลลัพธ์นะ")
    assert data["relaxed"] and data["every_word_total"] == 0 and data["total"] == 1
    page = client.get("/search", query_string={"q": "xyzzyไม่มีผลลัพธ์นะ"}).get_data(as_text=True)
    assert page.index("ไม่พบเอกสารที่มีครบทุกคำของ “xyzzyไม่มีผลลัพธ์นะ”") < page.index('href="/entries/a"')
    assert "พบ 1 รายการ" not in page


def test_a_dropped_tone_mark_that_makes_another_word_is_offered_its_correction(client, load, write_entry):
    """ความเสียง (sound) for ความเสี่ยง (risk): every piece is a word, and the query still
    finds an entry with every word (a noise assessment), so the correction is offered,
    not imposed."""
    write_entry("risk", "การประเมินความเสี่ยงของหน่วยงาน", title="คู่มือการบริหารความเสี่ยง")
    write_entry("risk2", "ทะเบียนความเสี่ยงและการประเมิน", title="ทะเบียนความเสี่ยง")
    write_entry("sound", "ผลการประเมินความเสียงรบกวนจากการก่อสร้าง", title="เสียงรบกวน")
    load(write_entry.folder)
    data = search(client, "ประเมินความเสียง")
    assert data["suggestion"] == "ประเมินความเสี่ยง" and data["corrected_query"] is None
    assert data["results"][0]["slug"] == "sound"  # what was typed is what is shown
    assert "คุณหมายถึง" in client.get("/search", query_string={"q": "ประเมินความเสียง"}).get_data(as_text=True)


def test_snippets_of_long_entries_show_the_match_wherever_it_stands(client, load, write_entry):
    """A 120,000-character plan whose only mention of the act is near its end, written
    with its dots: the snippet is cut from there and marks พ.ร.บ with them."""
    filler = "การดำเนินงานตามแผนพัฒนาบุคลากรประจำปี " * 3000
    write_entry("long", filler + "ตาม พ.ร.บ. ควบคุมอาคาร พ.ศ. ๒๕๒๒ " + filler, title="แผนยาว")
    load(write_entry.folder)
    hit = search(client, "พ.ร.บ")["results"][0]
    assert hit["slug"] == "long" and "<mark>พ.ร.บ</mark>" in hit["snippet"] and "ควบคุมอาคาร" in hit["snippet"]
    assert len(hit["snippet"]) < 600
