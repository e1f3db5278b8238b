"""The vocabulary files: built-in and the KM team's own. The bottom of the chain of
modules that read them (:mod:`indexer.segment` for words, :mod:`indexer.synonyms` for
synonym groups).

Two plain-text files, editable without code:

- ``words.txt``: one word per line that the segmenter must keep whole (government
  terms and abbreviations PyThaiNLP splits badly);
- ``synonyms.txt``: one group per line, variants separated by ``=``
  (``พ.ร.บ. = พรบ. = พระราชบัญญัติ``). A search for any variant finds the others.

kmrepo ships both in ``indexer/data/``; an installation adds its own through
:func:`configure` (kmrepo passes ``<instance>/vocabulary/``). ``#`` starts a comment.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources

_lock = threading.Lock()
_extra_words: tuple[str, ...] = ()  # the texts of the extra files, not their paths
_extra_synonyms: tuple[str, ...] = ()
_generation = 0


def configure(words_files=(), synonyms_files=()) -> None:
    """Use these extra files (paths; missing ones are skipped) besides the built-in
    ones. When what they say changed, :func:`generation` moves on, and the segmenter
    and synonym table built from the old files are built again on next use."""
    global _extra_words, _extra_synonyms, _generation
    new_words, new_synonyms = _read_files(words_files), _read_files(synonyms_files)
    with _lock:
        if (new_words, new_synonyms) == (_extra_words, _extra_synonyms):
            return
        _extra_words, _extra_synonyms = new_words, new_synonyms
        _generation += 1


def generation() -> int:
    """A number that changes whenever :func:`configure` changes the vocabulary: what
    is built from it (the segmenter, the synonym table) is current while it is the
    number it was built at."""
    return _generation


def _read_files(paths) -> tuple[str, ...]:
    texts = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                texts.append(fh.read())
        except FileNotFoundError:
            continue
    return tuple(texts)


def _read_lines(text: str) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def _files(builtin: str, extra: tuple[str, ...]) -> list[str]:
    return [resources.files("indexer").joinpath("data", builtin).read_text(encoding="utf-8"), *extra]


def word_lines() -> list[str]:
    """Every extra dictionary word, built-in first, then the configured files."""
    return [w for text in _files("words.txt", _extra_words) for w in _read_lines(text)]


def synonym_lines() -> list[list[str]]:
    """Every synonym group as a list of variants (groups of fewer than 2 are dropped)."""
    groups = []
    for text in _files("synonyms.txt", _extra_synonyms):
        for line in _read_lines(text):
            variants = [v.strip() for v in line.split("=") if v.strip()]
            if len(variants) >= 2:
                groups.append(variants)
    return groups


def fingerprint() -> str:
    """A short hash of the vocabulary in use: an index built with another vocabulary
    must be rebuilt."""
    payload = "\n".join(word_lines()) + "\n\n" + "\n".join(" = ".join(g) for g in synonym_lines())
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
