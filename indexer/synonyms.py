"""Synonyms, abbreviations, acronyms and years: the words a query word also means.

Built from the synonym groups of the vocabulary files (:mod:`indexer.vocabulary`),
segmented the same way documents are (:mod:`indexer.segment`): a search for any variant
of a group (``พ.ร.บ. = พรบ. = พระราชบัญญัติ``) finds the others.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from . import vocabulary
from .query import ParsedQuery, QueryPart
from .segment import segmenter, splits, stem_of, words


@dataclass(frozen=True)
class Synonyms:
    """Synonym groups over segmented words: ``groups[i]`` is a tuple of variants, each
    a tuple of normalised words; ``index`` maps a variant's first word to
    ``(variant, group number)`` pairs, longest variants first."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]
    index: dict[str, list[tuple[tuple[str, ...], int]]]

    def expand(self, toks: list[str]) -> list[tuple[tuple[str, ...], ...]]:
        """Split ``toks`` into slots, each a tuple of alternative word sequences: a run
        of words that is a synonym variant becomes every variant of its group (longest
        match first); a year after a year word is also its other form, two digits or
        four (:func:`year_variant`); an acronym is also its Thai letter names and the
        other way round (:func:`spell_letters`, :func:`read_letters`); any other word is a
        slot of its own."""
        slots: list[tuple[tuple[str, ...], ...]] = []
        i = 0
        while i < len(toks):
            for variant, g in self.index.get(toks[i], ()):
                if tuple(toks[i : i + len(variant)]) == variant:
                    slots.append(self.groups[g])
                    i += len(variant)
                    break
            else:
                spelled = self._spelled_letters(toks, i)
                if spelled:
                    slots.append(spelled[0])
                    i += spelled[1]
                    continue
                if year := year_variant(toks[i - 1] if i else "", toks[i]):
                    slots.append(((toks[i],), (year,)))
                elif latin := spell_letters(toks[i]):
                    slots.append(((toks[i],), tuple(words(latin))))
                else:
                    slots.append(((toks[i],),))
                i += 1
        return slots

    def _spelled_letters(self, toks: list[str], i: int) -> tuple[tuple[tuple[str, ...], ...], int] | None:
        """The slot for the longest run of words from ``toks[i]`` that spells Latin
        letters by their Thai names ("เค" "พี" "ไอ" is KPI, :func:`read_letters`), and
        the run's length; None if there is none. The slot holds the run as typed, the
        Latin word and, when that word is a synonym variant, its whole group."""
        for j in range(min(len(toks), i + MAX_LETTERS), i, -1):
            latin = read_letters("".join(toks[i:j]))
            if latin:
                typed = tuple(toks[i:j])
                group = next((self.groups[g] for v, g in self.index.get(latin, ()) if v == (latin,)), ())
                return (typed, *(v for v in group or ((latin,),) if v != typed)), j - i
        return None

    @staticmethod
    def needed(slots: list[tuple[tuple[str, ...], ...]]) -> list[tuple[tuple[str, ...], ...]]:
        """``slots`` without those every document matching the slot before also
        matches: the word inside a noun made with การ/ความ, which is indexed right after
        the noun (:func:`indexer.segment.stem_of`). Requiring it again would change
        nothing but cost time and count the noun twice."""
        dictionary = segmenter().dictionary
        out = []
        for i, slot in enumerate(slots):
            if (i and len(slot) == 1 and len(slot[0]) == 1
                    and all(stem_of(variant[-1], dictionary) == slot[0][0] for variant in slots[i - 1])):
                continue
            out.append(slot)
        return out

    def query_slots(self, toks: list[str]) -> list[tuple[tuple[str, ...], ...]]:
        """The word slots a document must fill to match the query words ``toks``:
        :meth:`expand` without what :meth:`needed` drops, where a plain word (no
        synonyms) the dictionary can also read as two words gets that pair, side by
        side, as another variant (:func:`indexer.segment.splits`): "ระเบียบการ" is
        ``(("ระเบียบการ",), ("ระเบียบ", "การ"))``, which may be :func:`open_ended`."""
        dictionary = segmenter().dictionary
        out = []
        for slot in self.needed(self.expand(toks)):
            if len(slot) == 1 and len(slot[0]) == 1:
                slot = slot + tuple(splits(slot[0][0], dictionary))
            out.append(slot)
        return out

    def proximity_pairs(self, parts: Sequence[QueryPart]) -> list[tuple[str, str]]:
        """The pairs ``(a, b)`` of typed words whose standing side by side in a document
        earns the proximity bonus: the last word of each unit and the first of the next,
        where a unit is a quoted phrase, a run of words that is a synonym variant
        (:meth:`expand`) or any other single word, over ``parts`` in order.

        Pairs inside a unit are left out, since every document matching the unit has
        them together already ("การจัดการความรู้" needs no bonus for "การ จัดการ"), and
        so is a noun with the word inside it (:func:`indexer.segment.stem_of`), which
        stand together everywhere. Each pair left out spares the search a scan of the
        positions of both words in every document holding them."""
        units: list[list[str]] = []
        for part in parts:
            toks = words(part.text)
            if part.phrase:
                units.append(toks)
                continue
            i = 0
            for slot in self.expand(toks):
                typed = next((v for v in slot if tuple(toks[i : i + len(v)]) == v), (toks[i],))
                units.append(list(typed))
                i += len(typed)
        units = [u for u in units if u]
        dictionary = segmenter().dictionary
        return [(u[-1], v[0]) for u, v in pairwise(units)
                if stem_of(u[-1], dictionary) != v[0]]

    def join_parts(self, parsed: ParsedQuery, max_parts: int = 5) -> ParsedQuery:
        """``parsed`` with runs of consecutive plain (unquoted, required) parts that
        together spell one synonym variant joined into one part, so "One Stop Service"
        typed as three words also finds its variant "ศูนย์บริการร่วม", and a year
        joined to the year word before it ("ปีงบ" "68", see :func:`year_variant`).
        Parts are otherwise kept as typed."""
        parts = list(parsed.parts)
        out: list[QueryPart] = []
        i = 0
        while i < len(parts):
            joined = None
            for m in range(min(max_parts, len(parts) - i), 1, -1):
                run = parts[i : i + m]
                if any(p.phrase or p.excluded or p.optional for p in run):
                    continue
                text = " ".join(p.text for p in run)
                slots = self.expand(words(text))
                if len(slots) == 1 and len(slots[0]) > 1:
                    joined = (QueryPart(text), m)
                    break
                if m == 2 and (toks := words(run[0].text)) and year_variant(toks[-1], run[1].text):
                    joined = (QueryPart(text), m)  # "ปีงบ" "68": the year is read after its word
                    break
            if joined:
                out.append(joined[0])
                i += joined[1]
            else:
                out.append(parts[i])
                i += 1
        return ParsedQuery(parsed.raw, tuple(out)) if len(out) != len(parts) else parsed


#: Thai month names as normalised words: abbreviated as dates write them (ต.ค. is "ตค"),
#: in full, and as said (ตุลา).
MONTH_WORDS = frozenset({
    "มค", "กพ", "มีค", "เมย", "พค", "มิย", "กค", "สค", "กย", "ตค", "พย", "ธค",
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
    "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
    "มกรา", "กุมภา", "มีนา", "เมษา", "พฤษภา", "มิถุนา", "กรกฎา", "สิงหา", "กันยา", "ตุลา", "พฤศจิกา", "ธันวา",
})
#: Words after which staff write a Buddhist Era year by its last two digits ("ปีงบ 68",
#: "แผน KM ปี 66", "พ.ศ. 67", and after a month: "ต.ค. ๖๒", dla-2562.txt), as
#: normalised words (dots removed).
YEAR_WORDS = frozenset({"ปี", "ปีงบ", "ปีงบประมาณ", "พศ", "ปีการศึกษา"}) | MONTH_WORDS


def year_variant(before: str, word: str) -> str | None:
    """The other way to write the Buddhist Era year ``word`` after one of
    :data:`YEAR_WORDS`: "2568" for "68" after "ปีงบ", "62" for "2562" after "ตค"
    (a plan's "ต.ค. ๖๒" is found by "ตุลาคม 2562"); else None."""
    if before not in YEAR_WORDS or not word.isdigit():
        return None
    if len(word) == 2:
        return "25" + word
    return word[2:] if len(word) == 4 and word.startswith("25") else None


def open_ended(slot: tuple[tuple[str, ...], ...], variant: tuple[str, ...]) -> bool:
    """True when ``variant`` is the one word typed for ``slot`` read as two words
    (:func:`indexer.segment.splits`): "วิธี การ" for "วิธีการ", "ขั้น ตอน" for
    "ขั้นตอน". Maximal matching often glues the second to the word after it in a
    document ("วิธี|การบริหาร", "ขั้น|ตอนที่ ๒", "แนว|ทางการดำเนินงาน"), so the SQLite
    backend lets the document's word after the first merely start with the second
    (Whoosh finds these through its body trigrams instead). The second
    word must have three characters or more: "ภาย ใน…" would try every word starting
    with ใน for hardly any find, and "ภายใน" is seldom cut there."""
    return (len(slot[0]) == 1 and len(variant) == 2 and len(variant[1]) >= 3
            and variant[0] + variant[1] == slot[0][0])


def inside_variants(slots: list[tuple[tuple[str, ...], ...]]) -> list[str]:
    """The one-word variants of a query chunk that fills a single slot (a word or a
    synonym group), which backends also look for inside longer words, as they do the
    chunk as typed: "efficiency" finds ประสิทธิภาพ inside มีประสิทธิภาพ. Empty for a
    chunk of several slots, whose words are found inside longer words one by one."""
    return [v[0] for v in slots[0] if len(v) == 1] if len(slots) == 1 else []


#: Thai names of the Latin letters, as Thai writes acronyms out ("เคพีไอ" for KPI, "ไอที"
#: for IT): the first name of each letter is how kmrepo spells one out, the others are
#: read too (Royal Institute spellings and the common ones).
LETTER_NAMES: dict[str, tuple[str, ...]] = {
    "a": ("เอ",), "b": ("บี",), "c": ("ซี",), "d": ("ดี",), "e": ("อี",), "f": ("เอฟ",),
    "g": ("จี",), "h": ("เอช", "เอ็ช", "เฮช"), "i": ("ไอ",), "j": ("เจ",), "k": ("เค",),
    "l": ("แอล", "แอลล์"), "m": ("เอ็ม", "เอม"), "n": ("เอ็น", "เอน"), "o": ("โอ",), "p": ("พี",),
    "q": ("คิว",), "r": ("อาร์",), "s": ("เอส", "เอ็ส"), "t": ("ที",), "u": ("ยู",), "v": ("วี",),
    "w": ("ดับเบิลยู", "ดับบลิว", "ดับเบิ้ลยู", "ดับลิว"), "x": ("เอ็กซ์", "เอ็กซ"), "y": ("วาย",),
    "z": ("แซด", "เซด"),
}
_NAME_TO_LETTER = {name: letter for letter, names in LETTER_NAMES.items() for name in names}
_NAME_LENGTHS = range(min(map(len, _NAME_TO_LETTER)), max(map(len, _NAME_TO_LETTER)) + 1)
#: Acronyms read or spelled out have 2 to this many letters; a single letter name is a
#: Thai word too often (ดี "good", ที "time").
MAX_LETTERS = 5


def spell_letters(word: str) -> str | None:
    """The Thai spelling-out of ``word`` when it may be a Latin acronym said letter by
    letter ("kpi" → "เคพีไอ"), else None: 2 or 3 lower-case letters, or up to
    :data:`MAX_LETTERS` without a vowel ("html"). Longer words with vowels are words
    ("plan") or acronyms said as words ("swot")."""
    if (2 <= len(word) <= MAX_LETTERS and word.isascii() and word.isalpha() and word.islower()
            and (len(word) <= 3 or not any(c in "aeiou" for c in word))):
        return "".join(LETTER_NAMES[c][0] for c in word)
    return None


def read_letters(text: str) -> str | None:
    """The Latin acronym ``text`` spells with the Thai names of 2 to :data:`MAX_LETTERS`
    letters ("เคพีไอ" → "kpi", "ดับเบิลยูเอชโอ" → "who"), else None. Every character
    must belong to a letter name."""
    # best[k]: the letters spelling text[:k], found left to right.
    best: list[str | None] = [""] + [None] * len(text)
    for k in range(1, len(text) + 1):
        for n in _NAME_LENGTHS:
            if n > k:
                break
            prev = best[k - n]
            letter = _NAME_TO_LETTER.get(text[k - n : k]) if prev is not None else None
            if letter and len(prev) < MAX_LETTERS:
                best[k] = prev + letter
                break
    latin = best[-1]
    return latin if latin and len(latin) >= 2 else None


_lock = threading.Lock()
_built: tuple[int, Synonyms] | None = None


def synonyms() -> Synonyms:
    """The synonym table of the configured files, built once per vocabulary
    (:func:`indexer.vocabulary.generation`)."""
    global _built
    built = _built
    if built is None or built[0] != vocabulary.generation():
        with _lock:
            if _built is None or _built[0] != vocabulary.generation():
                _built = (vocabulary.generation(), _build())
            built = _built
    return built[1]


def _build() -> Synonyms:
    groups: list[tuple[tuple[str, ...], ...]] = []
    index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for line in vocabulary.synonym_lines():
        variants = []
        for v in line:
            toks = tuple(words(v))
            if toks and toks not in variants:
                variants.append(toks)
        for v in list(variants):
            thai = spell_letters(v[0]) if len(v) == 1 else None
            if thai and (spelled := tuple(words(thai))) not in variants:
                variants.append(spelled)  # KM = เคเอ็ม
        if len(variants) < 2:
            continue
        g = len(groups)
        groups.append(tuple(variants))
        for v in variants:
            index.setdefault(v[0], []).append((v, g))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return Synonyms(tuple(groups), index)
