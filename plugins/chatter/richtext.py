"""The small safe rich-text subset posts and comments are stored in.

Allowed: p, br, b, strong, i, em, u, s, code, blockquote, ul, ol, li and
a (href http, https or mailto only). Every other tag is dropped with its
attributes (its text is kept, escaped); script and style lose their content
too. Sanitised on write (the body is a rich-text field of that subset), so
every reader gets safe text.
"""

from __future__ import annotations

from html.parser import HTMLParser

from missionbase.core import fields as f

ALLOWED_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "s", "code", "blockquote", "ul", "ol", "li", "a"}
)


def sanitise(body: str | None) -> str | None:
    """``body`` reduced to the allowed subset by core's rich-text sanitiser (nh3); None stays None."""
    return f.sanitise_html(body, ALLOWED_TAGS)


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
