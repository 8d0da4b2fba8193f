"""User content: Markdown rendered to HTML, then sanitised by an allow-list (nh3). No raw HTML, no script, no style."""

import re
from functools import lru_cache
from html import unescape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")

_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code", "pre", "h3", "h4"}
_ATTRIBUTES = {"a": {"href"}}
_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Return safe HTML for Markdown written by a user. Headings are demoted so they never compete with the page's."""
    html = _markdown.render(text or "")
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    html = re.sub(r"<(/?)h[56]>", r"<\1h4>", html)
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                     link_rel="nofollow ugc noopener noreferrer")


def safe_html(stored: str) -> Markup:
    """Mark HTML produced by ``render_markdown`` (and stored) as safe for templates, cleaning it once more."""
    cleaned = nh3.clean(stored or "", tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                        link_rel="nofollow ugc noopener noreferrer")
    return Markup(cleaned)  # noqa: S704 (cleaned by nh3 on the line above)


_BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|h\d|blockquote|pre|br|hr)\b[^>]*>")


@lru_cache(maxsize=2048)
def _markdown_text(text: str) -> str:
    """Markdown as the words a reader sees, on one line: markup gone, a link's words kept, hyphens and brackets of
    the text itself left alone. Cached: listings and ballots show the same texts again and again."""
    html = _BLOCK_TAG.sub(" ", _markdown.render(text))
    plain = unescape(nh3.clean(html, tags=set()))
    return re.sub(r"\s+", " ", plain).strip()


def plain_excerpt(text: str, length: int = 200) -> str:
    """A short plain-text excerpt of Markdown (for listings, ballot items), escaped by the template."""
    plain = _markdown_text(text or "")
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"


__all__ = ["render_markdown", "safe_html", "plain_excerpt", "escape"]
