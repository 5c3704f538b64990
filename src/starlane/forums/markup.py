"""Markdown source to safe HTML: rendered by ``markdown-it-py``, then sanitised by ``nh3``.

Posts are stored as the author's Markdown source and as the HTML the server renders from it
(``body_html``), so every client shows the same thing and none has to sanitise. Two layers,
never a hand-written filter:

1. ``markdown-it-py`` (CommonMark plus tables and strikethrough) with raw HTML turned off:
   HTML in the source is shown as text; its link validator drops ``javascript:``,
   ``vbscript:``, ``file:`` and ``data:`` links.
2. ``nh3`` (the Rust ``ammonia`` sanitiser) keeps only the tags and attributes in
   :data:`ALLOWED_TAGS` / :data:`ALLOWED_ATTRIBUTES`, only ``http``, ``https`` and ``mailto``
   URLs, drops the content of ``script`` and ``style``, and marks every link
   ``rel="nofollow noopener noreferrer"``.

So ``body_html`` never holds a script, an event handler attribute, a ``javascript:`` link, an
SVG or MathML element, an ``iframe`` or a ``style``; an image becomes a link to it (no
remote loads from a reader's client).
"""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "render_markdown"]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
"""The HTML elements ``body_html`` may contain."""

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
"""The attributes kept, per element (no ``style``, no ``on*``, no ``class``)."""

_URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _image_as_link(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """Render ``![alt](src)`` as a link to the image (no remote loads in a reader's client)."""
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src") or ""))
    alt = escapeHtml(token.content or "image")
    return f'<a href="{src}">{alt}</a>'


_md.add_render_rule("image", _image_as_link)


def render_markdown(source: str) -> str:
    """Render a post's Markdown source to sanitised HTML.

    Args:
        source: the author's Markdown (any text; HTML in it is shown as text).

    Returns:
        The HTML (``body_html``): only :data:`ALLOWED_TAGS` with :data:`ALLOWED_ATTRIBUTES`,
        links to ``http``, ``https`` or ``mailto`` URLs only.
    """
    html = _md.render(source)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
