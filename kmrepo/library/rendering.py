"""Markdown → safe HTML, and Markdown → plain text for the search index.

Entries are written by staff and imported from files, so their HTML is never trusted:
Markdown is rendered with markdown-it-py (tables on), then cleaned by bleach against an
allow-list. No script, style, event handler or ``javascript:``/``data:`` URL survives,
and no text is lost either (docs/roles.md, "Pages"): markup that is not allowed is shown
as the text it is, escaped, never deleted with what follows it. Rendering is bounded:
markup nested deeper than :data:`MAX_DEPTH` or with more than :data:`MAX_TAGS` tags
(which makes the HTML parser's work grow with the square of the text) is refused when
saved or loaded (:func:`check_renderable`) and shown as plain text if it is stored
already; rendered pages are cached by the text they come from.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import bleach
from markdown_it import MarkdownIt

from ..errors import BadInput

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align", "scope"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Elements whose content an HTML parser reads as raw text up to their end tag: one left
# open (an unclosed <textarea>) would swallow the rest of the page. Their tags are
# escaped before bleach sees them, so they show as text and the text after them stays.
_RAW_TEXT_TAGS = re.compile(
    r"<(/?)(script|style|textarea|title|xmp|plaintext|iframe|noembed|noframes|noscript|template|object|embed)\b",
    re.IGNORECASE,
)

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
# bleach decides which links are safe; markdown-it must not turn them into plain text first.
_md.validateLink = lambda url: True

# strip=False: a tag that is not allowed is escaped (shown as text), not deleted.
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
    strip=False, strip_comments=True,
)

#: How deep elements may nest, and how many tags a rendered entry may have. The largest
#: real plan (banmai-municipality.txt, 135,000 bytes) renders to 1,780 tags, cleaned in
#: 0.05 s; bleach's work then grows faster than the tags (40,000 take 3 s).
MAX_DEPTH = 100
MAX_TAGS = 20_000
_OPEN_OR_CLOSE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"})


@lru_cache(maxsize=16)
def _raw_html(text: str) -> str:
    """markdown-it's HTML for ``text``, raw-text elements escaped (not yet cleaned).
    Kept for the last few texts: a body is checked (:func:`markup_problem`) and then
    rendered or made plain text, and markdown-it is most of either's cost."""
    return _RAW_TEXT_TAGS.sub(r"&lt;\1\2", _md.render(text or ""))


def markup_problem(text: str) -> tuple[str, str] | None:
    """``(english, thai)`` saying why ``text`` cannot be rendered within bounds (too
    deeply nested or too many tags), or None when it can."""
    raw = _raw_html(text)
    depth = deepest = tags = 0
    for m in _OPEN_OR_CLOSE.finditer(raw):
        tags += 1
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            depth = max(0, depth - 1)
        elif name not in _VOID and not self_closing:
            depth += 1
            deepest = max(deepest, depth)
        if deepest > MAX_DEPTH or tags > MAX_TAGS:
            break
    if deepest > MAX_DEPTH:
        return (f"the text nests markup more than {MAX_DEPTH} levels deep",
                f"เนื้อหามีการซ้อนกันของแท็กหรือการเน้นข้อความลึกเกิน {MAX_DEPTH} ชั้น กรุณาลดการซ้อนกัน")
    if tags > MAX_TAGS:
        return (f"the text has more than {MAX_TAGS} tags", f"เนื้อหามีแท็กมากเกิน {MAX_TAGS:,} แท็ก กรุณาแบ่งเป็นหลายเอกสาร")
    return None


def check_renderable(text: str) -> None:
    """:class:`~kmrepo.errors.BadInput` when ``text`` cannot be rendered within bounds
    (:func:`markup_problem`): called when an entry is saved."""
    problem = markup_problem(text)
    if problem:
        raise BadInput(*problem)


def render_markdown(text: str) -> str:
    """Render Markdown ``text`` to HTML that is safe to insert into a page.

    Raw HTML in the Markdown is allowed only as far as :data:`ALLOWED_TAGS` and
    :data:`ALLOWED_ATTRIBUTES` go; other tags are shown escaped, as text. Links keep
    only http, https and mailto URLs. Tables get a wrapper class for styling. Text that
    :func:`markup_problem` refuses (stored before the limits) is shown as plain text.
    Cached by the text (the same entry is rendered once, not at every view).
    """
    return _render_cached(text or "")


@lru_cache(maxsize=256)
def _render_cached(text: str) -> str:
    if markup_problem(text):
        return "<pre>" + html.escape(text) + "</pre>"
    safe = _cleaner.clean(_raw_html(text))
    # a header cell with nothing in it names no column (axe: empty-table-header): a plain cell
    safe = safe.replace("<th></th>", "<td></td>")
    # a table wider than the page scrolls in its own box, which keyboards can reach (axe: scrollable-region-focusable)
    return safe.replace("<table>", '<div class="table-wrap" tabindex="0" role="region" aria-label="ตาราง"><table>').replace(
        "</table>", "</table></div>")


_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_ID_UNSAFE = re.compile(r"[^\w\u0e00-\u0e7f]+")


def render_document(text: str) -> tuple[str, list[dict]]:
    """An entry's body for reading: :func:`render_markdown`, its headings moved so the
    highest is an h2 (the page's h1 is the entry's title), each given an ``id`` (its
    words, as Thai sites do) and an anchor link to it; and the table of contents:
    ``[{"level": 2 or 3, "id", "text"}]`` in order."""
    return _document_cached(text or "")


@lru_cache(maxsize=256)
def _document_cached(text: str) -> tuple[str, list[dict]]:
    body = render_markdown(text)
    levels = [int(m.group(1)) for m in _HEADING.finditer(body)]
    if not levels:
        return body, []
    shift = 2 - min(levels)
    toc: list[dict] = []
    used: set[str] = set()

    def heading(m: re.Match) -> str:
        level = min(6, max(2, int(m.group(1)) + shift))
        inner = m.group(2)
        words = html.unescape(_TAG_RE.sub("", inner)).strip()
        base = _ID_UNSAFE.sub("-", words).strip("-")[:60] or "section"
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        if level <= 3:
            toc.append({"level": level, "id": anchor, "text": words})
        return (f'<h{level} id="{html.escape(anchor)}">{inner} <a class="anchor" href="#{html.escape(anchor)}" '
                f'aria-label="ลิงก์มาที่หัวข้อ {html.escape(words[:80])}">#</a></h{level}>')

    return _HEADING.sub(heading, body), toc


_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_END_RE = re.compile(r"</(p|h[1-6]|li|tr|pre|blockquote|table)>|<br\s*/?>", re.IGNORECASE)
_CELL_END_RE = re.compile(r"</t[dh]>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """The readable text of Markdown ``text``: no markup, one line per block, table
    cells separated by " | ". What the search index stores and snippets are cut from:
    the text a reader sees, escaped markup included (so it is found too)."""
    # Not through bleach: every tag is stripped here (bleach is most of the cost of
    # rendering a long entry, and this runs for every entry a load indexes).
    rendered = _CELL_END_RE.sub(" | ", _raw_html(text))
    rendered = _BLOCK_END_RE.sub("\n", rendered)
    stripped = html.unescape(_TAG_RE.sub("", rendered))
    lines = (" ".join(line.split()).strip(" |") for line in stripped.splitlines())
    return "\n".join(line for line in lines if line)
