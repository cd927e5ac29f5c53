"""The `<a>` and `<base>` tags of an HTML page, read as `html.parser` reads them, but fast.

    scan('<base href="/f/"><A HREF=x.whl data-yanked>x</A>')
    # ([{'href': 'x.whl', 'data-yanked': None}], '/f/')

An index page of a big project holds thousands of anchors: `html.parser` walks them in
Python, a tag at a time, where one compiled pattern finds each tag and another its
attributes. The grammar is `html.parser`'s tolerant one: names lowercased, values quoted
either way or bare, an attribute without a value is None, a repeated one keeps its last
value (as `dict(attrs)` did). Character references in values are replaced as HTML5 says
for attributes (and newer `html.parser`s do): `&#62;` and `&gt;` are `>`, `&copy=` in a
query stays as it is. Comments and `<script>` / `<style>` text hide the tags inside
them. A tag the grammar cannot read (an unclosed quote) is skipped and the scan goes
on after its `<`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    import re

Attributes = Dict[str, Optional[str]]

# Between a tag's name and its attributes, and after each attribute: spaces and slashes,
# but not the slash of a closing `/>`.
_GAP = r"(?:\s|/(?!>))*"
# An attribute's name follows a quote, a space or a slash; its value (after one or more
# `=`) is in single quotes, double quotes or none, then up to a space or `>`.
_NAME = r"""(?<=['"\s/])[^\s/>][^\s/=>]*"""
_VALUE = r"""'[^']*'|"[^"]*"|(?!['"])[^>\s]*"""
_ATTRIBUTES = rf"(?:{_NAME}(?:\s*=+\s*(?:{_VALUE}))?{_GAP})*\s*"

# A start tag's name, as html.parser reads it (to a space, a slash or `>`).
_TAG_NAME = r"[a-zA-Z][^\t\n\r\f />\x00]*"
# A character reference in a value: numeric, or a name perhaps ended by `;` or `=`.
_REFERENCE = r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*)[;=]?"

_patterns: Optional[Tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]] = None


def _once(group: str, pattern: str) -> str:
    """`pattern` as the named group `group`, matched as html.parser matches a tag's name
    and attributes: greedily and once, giving nothing back. A tag without its `>` then
    fails at once instead of trying every other split of its attributes (exponentially
    many when names hold quotes). An atomic group where `re` has them (3.11), else a
    look-ahead, which keeps its first match, and a back-reference to what it took."""
    import sys

    if sys.version_info >= (3, 11):
        return f"(?P<{group}>(?>{pattern}))"
    return f"(?=(?P<{group}>{pattern}))(?P={group})"


def _compiled() -> Tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(markup, attribute, reference), compiled on first use: `re` is no import of a
    warm create."""
    global _patterns  # compiled once per process
    if _patterns is None:
        import re

        end = r"(?=[\t\n\r\f />])"  # where a tag's name ends
        markup = re.compile(
            "<(?:"
            r"!--.*?(?:--\s*>|\Z)"  # a comment, to its end or the page's
            r"|[/!?][^>]*(?:>|\Z)"  # an end tag, a declaration, a processing instruction
            # the raw text of a script or a style: no tags in it
            rf"|(?P<raw>script|style){end}{_once('rawattrs', _GAP + _ATTRIBUTES)}"
            r"/?>.*?(?:</\s*(?P=raw)\s*>|\Z)"
            # what we are after
            rf"|(?P<tag>a|base){end}{_once('attrs', _GAP + _ATTRIBUTES)}/?>"
            # any other start tag
            rf"|{_once('other', _TAG_NAME + _GAP + _ATTRIBUTES)}/?>"
            ")",
            re.IGNORECASE | re.DOTALL,
        )
        attribute = re.compile(rf"({_NAME})(\s*=+\s*({_VALUE}))?{_GAP}")
        _patterns = markup, attribute, re.compile(_REFERENCE)
    return _patterns


def _unescape(value: str) -> str:
    """`value` with its character references replaced: every numeric one, and a named one
    only when it is a whole HTML5 name not followed by `=` ('&amp;' yes, '&ampx' no)."""
    from html import unescape
    from html.entities import html5

    def replace(found: re.Match[str]) -> str:
        text = found.group()
        if text[1] == "#" or (text[-1] != "=" and text[1:] in html5):
            return unescape(text)
        return text

    return _compiled()[2].sub(replace, value)


def scan(text: str) -> Tuple[List[Attributes], Optional[str]]:
    """The attributes of every `<a>` of `text`, and the first `<base>`'s non-empty href."""
    markup, attribute, _ = _compiled()
    anchors: List[Attributes] = []
    base: Optional[str] = None
    unescaped: Dict[str, str] = {}  # a page repeats its values (data-requires-python)
    for tag in markup.finditer(text):
        name = tag.group("tag")
        if name is None:  # a comment, an end tag, a script, any other tag
            continue
        attrs: Attributes = {}
        for key, equals, value in attribute.findall(text, tag.start("attrs"), tag.end("attrs")):
            if not equals:
                attrs[key.lower()] = None
                continue
            if value[:1] in ("'", '"') and value[:1] == value[-1:]:
                value = value[1:-1]
            if "&" in value:
                found = unescaped.get(value)
                if found is None:
                    found = unescaped[value] = _unescape(value)
                value = found
            attrs[key.lower()] = value
        if len(name) == 1:
            anchors.append(attrs)
        elif base is None and attrs.get("href"):
            base = attrs["href"]
    return anchors, base
