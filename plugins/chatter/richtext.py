"""The small safe rich-text subset posts and comments are stored in.

Allowed: p, br, b, strong, i, em, u, s, code, blockquote, ul, ol, li and
a (href http, https or mailto only; no other attributes). Every other tag
is dropped with its attributes (its text is kept, escaped); script and style
lose their content too. Sanitised on write, so every reader gets safe text.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "s", "code", "blockquote", "ul", "ol", "li", "a"}
)
VOID_TAGS = frozenset({"br"})
DROP_CONTENT = frozenset({"script", "style"})
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROP_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED_TAGS:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.strip().lower().startswith(SAFE_SCHEMES):
                self.out.append("<a>")
            else:
                self.out.append(f'<a href="{html.escape(href.strip(), quote=True)}">')
        else:
            self.out.append(f"<{tag}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in VOID_TAGS and not self.skipping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag in DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in ALLOWED_TAGS or tag in VOID_TAGS or tag not in self.open:
            return
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(html.escape(data, quote=False))


def sanitise(body: str | None) -> str | None:
    """``body`` reduced to the allowed subset, every tag closed; None stays None."""
    if body is None:
        return None
    parser = _Sanitiser()
    parser.feed(body)
    parser.close()
    parser.out.extend(f"</{tag}>" for tag in reversed(parser.open))
    return "".join(parser.out).strip()


def plain_text(body: str | None) -> str:
    """The text of a sanitised body, for emails and tables."""
    if not body:
        return ""

    class _Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

        def handle_starttag(self, tag, attrs):
            if tag in ("br", "p", "li"):
                self.parts.append(" ")

    parser = _Text()
    parser.feed(body)
    return " ".join("".join(parser.parts).split())
