""""Did you mean": corrections for misspelt Thai queries.

Uses PyThaiNLP's Norvig spell checker over the words of the index itself (with their
document frequencies), so a suggestion is a word that the knowledge base contains.
Only Thai chunks are corrected; Latin words, digits and quoted phrases are kept.
"""

from __future__ import annotations

import re

from .normalize import normalize_text
from .segment import segmenter

# Long unknown chunks make the checker's two-edit search slow (seconds): they are
# corrected piece by piece instead.
MAX_WHOLE_CHUNK = 10
_THAI_CHUNK = re.compile(r"[\u0e01-\u0e4e]+")


class Speller:
    """Suggest a corrected query. ``freqs`` maps a word to how many documents have it."""

    def __init__(self, freqs: dict[str, int]):
        from pythainlp.spell import NorvigSpellChecker

        self._checker = NorvigSpellChecker(custom_dict=freqs, min_freq=1, min_len=2)
        self._known = set(freqs)

    def _fix(self, word: str) -> str:
        if word in self._known or len(word) < 2:
            return word
        return self._checker.correct(word) or word

    def suggest(self, text: str) -> str | None:
        """The query with misspelt Thai words corrected, or None if nothing changed.

        >>> Speller({"ระเบียบ": 3, "การลา": 2}).suggest("ระเบีนบ การลา")
        'ระเบียบ การลา'
        """
        text = normalize_text(text)
        changed = False

        def repl(m: re.Match) -> str:
            nonlocal changed
            chunk = m.group()
            if chunk in self._known:
                return chunk
            if len(chunk) <= MAX_WHOLE_CHUNK:
                fixed = self._fix(chunk)
            else:
                fixed = "".join(self._fix(p) for p in segmenter().segment(chunk))
            changed = changed or fixed != chunk
            return fixed

        out = _THAI_CHUNK.sub(repl, text)
        return out if changed else None
