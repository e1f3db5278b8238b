"""Markdown → safe HTML, and Markdown → plain text for the search index.

Entries are written by staff and imported from files, so their HTML is never trusted:
Markdown is rendered with markdown-it-py (tables on), then cleaned by bleach against an
allow-list. No script, style, event handler or ``javascript:``/``data:`` URL survives.
"""

from __future__ import annotations

import html
import re

import bleach
from markdown_it import MarkdownIt

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

# Elements whose *content* is code or styling, dropped whole before bleach strips tags
# (bleach would otherwise keep "alert(1)" as visible text).
_DROP_WITH_CONTENT = re.compile(
    r"<(script|style|iframe|object|embed|template|noscript|textarea)\b[^>]*>.*?(</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
# bleach decides which links are safe; markdown-it must not turn them into plain text first.
_md.validateLink = lambda url: True

_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
    strip=True, strip_comments=True,
)


def render_markdown(text: str) -> str:
    """Render Markdown ``text`` to HTML that is safe to insert into a page.

    Raw HTML in the Markdown is allowed only as far as :data:`ALLOWED_TAGS` and
    :data:`ALLOWED_ATTRIBUTES` go; links keep only http, https and mailto URLs.
    Tables get a wrapper class for styling.
    """
    raw = _md.render(_DROP_WITH_CONTENT.sub("", text or ""))
    safe = _cleaner.clean(raw)
    return safe.replace("<table>", '<div class="table-wrap"><table>').replace("</table>", "</table></div>")


_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_END_RE = re.compile(r"</(p|h[1-6]|li|tr|pre|blockquote|table)>|<br\s*/?>", re.IGNORECASE)
_CELL_END_RE = re.compile(r"</t[dh]>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """The readable text of Markdown ``text``: no markup, one line per block, table
    cells separated by " | ". What the search index stores and snippets are cut from."""
    # Not through bleach: every tag is stripped below, and the contents of script and
    # style elements are dropped first, as for the page (bleach is most of the cost of
    # rendering a long entry, and this runs for every entry a load indexes).
    rendered = _md.render(_DROP_WITH_CONTENT.sub("", text or ""))
    rendered = _CELL_END_RE.sub(" | ", rendered)
    rendered = _BLOCK_END_RE.sub("\n", rendered)
    stripped = html.unescape(_TAG_RE.sub("", rendered))
    lines = (" ".join(line.split()).strip(" |") for line in stripped.splitlines())
    return "\n".join(line for line in lines if line)
