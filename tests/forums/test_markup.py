"""``body_html`` is inert: a corpus of hostile HTML and Markdown, and generated input."""

from __future__ import annotations

import html.parser
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.forums.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" oNeRrOr="alert(1)">',
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '![x" onerror="alert(1)](https://a.example/i.png)',
    '[x](https://a.example/"onmouseover="alert(1))',
    "<svg onload=alert(1)><circle r=9/></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=//evil.example/x.swf>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<form action=javascript:alert(1)><button>go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<details open ontoggle=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "> <script>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "**<a href=javascript:alert(1)>bold</a>**",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '[x](https://ok.example "title\\" onclick=\\"alert(1)")',
    "<base href=javascript:alert(1)//>",
]


class _Collector(html.parser.HTMLParser):
    """Every tag and attribute of a document, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(out: str) -> None:
    """No script, no event handler, no dangerous URL, only allowed tags and attributes."""
    collector = _Collector()
    collector.feed(out)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, (tag, out)
        for name, value in attrs:
            assert (name == "rel" and tag == "a") or name in ALLOWED_ATTRIBUTES.get(tag, ()), (
                tag,
                name,
                out,
            )
            assert not name.startswith("on"), out
            if name == "href":
                assert value is not None
                scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
                assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto"), out
    lowered = out.lower()
    for needle in ("<script", "<svg", "<math", "<iframe", "<style", "<object", "<embed", "<img"):
        assert needle not in lowered, out


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_renders_inert(source: str) -> None:
    assert_inert(render_markdown(source))


def test_ordinary_markdown_survives() -> None:
    out = render_markdown("# Trade\n\n**ore** at _Sol_: [chart](https://x.example/c)\n\n- a\n- b")
    assert "<h1>Trade</h1>" in out and "<strong>ore</strong>" in out and "<em>Sol</em>" in out
    assert '<a href="https://x.example/c" rel="nofollow noopener noreferrer">chart</a>' in out
    assert "<li>a</li>" in out
    assert render_markdown("![map](https://x.example/m.png)").count("<a href=") == 1


_PIECES = st.sampled_from(
    [
        "<", ">", "\"", "'", "=", "/", "script", "svg", "img", "onerror", "onload", "javascript:",
        "JaVaScRiPt:", "&#106;", "&#x6A;", "alert(1)", "[", "]", "(", ")", "!", "`", "\n", " ",
        "href", "src", "<a ", "<svg ", "data:", "**", "_", "|", "-", ":", "\t", "&", ";",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=5), max_size=40).map("".join))
def test_generated_input_renders_inert(source: str) -> None:
    assert_inert(render_markdown(source))
