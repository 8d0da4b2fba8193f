"""XSS payloads every field of user content is tested with, and a check that a page carries none of them as markup.

Each payload, if it ran in a browser, would set ``window.__xss``; browser tests check that it stays unset.
"""

from html.parser import HTMLParser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=window.__xss=1>',
    "[clique](javascript:window.__xss=1)",
    "<a href=\"javascript:window.__xss=1\">lien</a>",
    "<iframe src=\"javascript:window.__xss=1\"></iframe>",
    "<style>body{background:url(javascript:window.__xss=1)}</style>",
    "<details open ontoggle=window.__xss=1>",
    "';window.__xss=1;//",
    "{{ 7*7 }}<b onmouseover=window.__xss=1>gras</b>",
]


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    ("javascript:", "data:text")):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
        if tag in ("iframe", "object", "embed", "style", "svg", "details"):
            self.problems.append(f"<{tag}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/"):
                self.problems.append("inline or foreign <script>")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("script content")


def injected_markup(html: str) -> list[str]:
    """What in ``html`` could run or restyle the page: must be empty for every page we serve."""
    parser = _Markup()
    parser.feed(html)
    return parser.problems
