"""Word-level differences between two Thai texts, words whole.

Thai has no spaces between words, so a character diff shows a changed word as soup and
a diff by spaces shows a changed sentence as one block. The texts are cut where the
indexer cuts them (:func:`indexer.segment.tokenize`: dictionary words, Latin words,
numbers) with everything between words (spaces, punctuation, new lines) kept as pieces
of their own, then compared piece by piece (:mod:`difflib`).
"""

from __future__ import annotations

from difflib import SequenceMatcher

from .segment import tokenize


def pieces(text: str) -> list[str]:
    """``text`` cut into words and what stands between them; the pieces join back
    into ``text`` exactly. A word inside a การ/ความ noun (indexed after it) is not a
    piece of its own: pieces never overlap."""
    out: list[str] = []
    last = 0
    for tok in tokenize(text):
        if tok.start < last:  # the word inside a noun, already in the noun's piece
            continue
        if tok.start > last:
            out.append(text[last : tok.start])
        out.append(text[tok.start : tok.end])
        last = tok.end
    if last < len(text):
        out.append(text[last:])
    return out


def word_diff(old: str, new: str) -> list[dict[str, str]]:
    """The changes from ``old`` to ``new`` as ``[{"op": "equal" | "delete" |
    "insert", "text"}]``, in order, neighbouring pieces of one kind joined; a replaced
    word is its deletion then its insertion.

    >>> word_diff("ความรู้สำคัญมาก", "ความรู้จำเป็นมาก")
    [{'op': 'equal', 'text': 'ความรู้'}, {'op': 'delete', 'text': 'สำคัญ'}, {'op': 'insert', 'text': 'จำเป็น'}, {'op': 'equal', 'text': 'มาก'}]
    """
    a, b = pieces(old), pieces(new)
    ops: list[dict[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1]["op"] == op:
            ops[-1]["text"] += text
        else:
            ops.append({"op": op, "text": text})

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
            continue
        head, old_mid, new_mid, tail = _trim(a[i1:i2], b[j1:j2])
        add("equal", head)
        add("delete", old_mid)
        add("insert", new_mid)
        add("equal", tail)
    return ops


def _trim(old: list[str], new: list[str]) -> tuple[str, str, str, str]:
    """A changed run of pieces with what both sides begin and end with taken out, cut
    only where one side or the other has a word boundary: the segmenter may cut the
    same words differently beside another word ("เป็น|เรื่องสำคัญ" and
    "เป็นเรื่อง|จำเป็น" share "เป็นเรื่อง", a word boundary of the second).
    ``(head, old middle, new middle, tail)``."""
    old_text, new_text = "".join(old), "".join(new)
    cuts = _boundaries(old) | _boundaries(new)
    head = max((c for c in cuts if old_text[:c] == new_text[:c]), default=0)
    ends = {len(old_text) - c for c in _boundaries(old)} | {len(new_text) - c for c in _boundaries(new)}
    room = min(len(old_text), len(new_text)) - head
    tail = max((c for c in ends if c <= room and (c == 0 or old_text[-c:] == new_text[-c:])), default=0)
    return (old_text[:head], old_text[head : len(old_text) - tail], new_text[head : len(new_text) - tail],
            old_text[len(old_text) - tail :])


def _boundaries(pieces_: list[str]) -> set[int]:
    out, at = {0}, 0
    for piece in pieces_:
        at += len(piece)
        out.add(at)
    return out
