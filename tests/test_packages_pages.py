"""Tests for reading index pages: the anchor scanner and the links made of them are
checked against the straightforward reading (html.parser, urljoin, packaging's file
name parsing), on hand-made tricky pages and on generated ones."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from burrow.packages import anchors, pages
from burrow.packages.pages import Link

BASE = "https://index.example/simple/demo/"
SHA = "ab" * 32


# --------------------------------------------------------------------------- the oracle


def oracle_filename(filename: str) -> Optional[Tuple[str, str]]:
    """(name, version) by packaging's own functions."""
    if filename.endswith(".whl"):
        try:
            name, version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None
        return name, str(version)
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar"):
        if filename.endswith(suffix):
            project, dash, text = filename[: -len(suffix)].rpartition("-")
            try:
                version = Version(text)
            except InvalidVersion:
                return None
            return (canonicalize_name(project), str(version)) if dash and project else None
    return None


def oracle_page(data: bytes, base_url: str, name: str) -> List[Link]:
    """A page's links read the plain way: html.parser, then urljoin and urlsplit per anchor."""
    found: List[Dict[str, Optional[str]]] = []
    bases: List[str] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
            if tag == "a":
                found.append(dict(attrs))
            elif tag == "base" and not bases:
                bases.extend(value for key, value in attrs if key == "href" and value)

    parser = Anchors()
    parser.feed(data.decode("utf-8"))
    parser.close()
    base = urljoin(base_url, bases[0]) if bases else base_url
    links = []
    for attrs in found:
        href = attrs.get("href")
        if not href:
            continue
        parts = urlsplit(urljoin(base, href))
        filename = unquote(parts.path.rsplit("/", 1)[-1])
        if "/" in filename or "\\" in filename or filename.startswith("."):
            continue
        parsed = oracle_filename(filename)
        if parsed is None or parsed[0] != name:
            continue
        hashes: Dict[str, str] = {}
        for item in parts.fragment.split("&"):
            algorithm, _, digest = item.partition("=")
            algorithm = algorithm.lower()
            usable = algorithm in hashlib.algorithms_guaranteed and "shake" not in algorithm
            if usable and digest:
                hashes.setdefault(algorithm, digest.lower())
        metadata: Optional[Dict[str, str]] = None
        value = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        if value is not None and value.strip().lower() != "false":
            algorithm, sep, digest = value.strip().partition("=")
            metadata = {algorithm.lower(): digest.lower()} if sep and digest else {}
        requires_python = attrs.get("data-requires-python") or None
        links.append(
            Link(
                filename=filename,
                url=urlunsplit(parts._replace(fragment="")),
                version=parsed[1],
                hashes=hashes,
                requires_python=requires_python.strip() if requires_python else None,
                yanked=(attrs["data-yanked"] or "") if "data-yanked" in attrs else None,
                metadata=metadata,
            )
        )
    return links


def both(page: str, base_url: str = BASE, name: str = "demo") -> List[Link]:
    """The links of `page`, asserted equal to the oracle's."""
    data = page.encode("utf-8")
    links = pages.parse_html_page(data, base_url, name, "text/html; charset=utf-8")
    assert links == oracle_page(data, base_url, name)
    return links


# --------------------------------------------------------------------------- tricky pages


def test_pypi_style_page() -> None:
    page = f"""<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for demo</title></head>
<body><h1>Links for demo</h1>
<a href="https://files.example/p/ab/demo-1.0.tar.gz#sha256={SHA}" >demo-1.0.tar.gz</a><br />
<a href="https://files.example/p/cd/demo-1.0-py3-none-any.whl#sha256={SHA}" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256={SHA}" data-core-metadata="sha256={SHA}">demo-1.0-py3-none-any.whl</a><br />
<a href="https://files.example/p/ef/demo-2.0rc1-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl#sha256={SHA}" data-requires-python="&gt;=3.9,&lt;4" data-yanked="">x</a><br />
</body></html>
<!--SERIAL 123-->"""  # noqa: E501
    links = both(page)
    assert [(x.version, x.requires_python, x.yanked) for x in links] == [
        ("1.0", None, None),
        ("1.0", ">=3.8", None),
        ("2.0rc1", ">=3.9,<4", ""),
    ]
    assert links[1].metadata == {"sha256": SHA} and links[0].hashes == {"sha256": SHA}


def test_quoting_case_spacing_and_attributes_without_values() -> None:
    page = (
        "<A HREF='demo-1.0.tar.gz' DATA-YANKED>x</A>\n"
        '<a\thref = "demo-1.1.tar.gz"\ndata-yanked = "broken &amp; bad" >x</a>\n'
        "<a href=demo-1.2.tar.gz data-requires-python=&gt;=3.8 data-core-metadata=true>x</a>\n"
        '<a data-yanked="old" href="demo-1.3.tar.gz" data-yanked>later value wins</a>\n'
        '<a href="demo-1.4.tar.gz"data-requires-python=">=3.10"/>\n'
        "<a/href=demo-1.5.tar.gz>slash before the attribute</a>\n"
        '<a href="demo-1.6.tar.gz" data-dist-info-metadata="false" data-core-metadata>x</a>\n'
        "<a href='demo-1.7.tar.gz' data-requires-python='&#62;=3.7, !=3.8.*'>x</a>\n"
    )
    links = both(page)
    assert [(x.filename, x.yanked, x.requires_python, x.metadata) for x in links] == [
        ("demo-1.0.tar.gz", "", None, None),
        ("demo-1.1.tar.gz", "broken & bad", None, None),
        ("demo-1.2.tar.gz", None, ">=3.8", {}),
        ("demo-1.3.tar.gz", "", None, None),
        ("demo-1.4.tar.gz", None, ">=3.10", None),
        ("demo-1.5.tar.gz", None, None, None),
        ("demo-1.6.tar.gz", None, None, None),
        ("demo-1.7.tar.gz", None, ">=3.7, !=3.8.*", None),
    ]


def test_relative_absolute_and_base_hrefs() -> None:
    files = [
        "../../files/demo-1.0.tar.gz",
        "/files/demo-1.1.tar.gz",
        "demo-1.2.tar.gz",
        "./sub/./../sub2//demo-1.3.tar.gz",
        "//mirror.example/f/demo-1.4.tar.gz",
        "https://other.example/f/demo-1.5.tar.gz#md5=AA&amp;sha256=BB&amp;sha256=cc",
        "HTTPS://Other.Example/f/demo-1.6.tar.gz",
        "demo-1.7.tar.gz?download=1#SHA256=DD",
        "files/demo%2D1.8.tar.gz",
        "http://[::1]:8080/f/demo-1.9.tar.gz#shake_128=ee",
        "../f;v=1/demo-2.0.tar.gz",
        "demo-2.1.tar.gz#",
        "https://files.example/f/demo-2.2.tar.gz#",
        "file:///srv/f/demo-2.3.tar.gz",
    ]
    anchors_ = "".join(f'<a href="{href}">x</a>\n' for href in files)
    for base in ("", '<base href="../elsewhere/">', '<base href="https://cdn.example/x/y">'):
        links = both(base + anchors_)
        assert len(links) == len(files)
    # The base counts for anchors before it too, and only the first base with an href.
    links = both(anchors_ + '<base><base href="/up/"><base href="/not/">')
    assert links[2].url == "https://index.example/up/demo-1.2.tar.gz"
    assert both(anchors_, base_url="file:///srv/simple/demo/index.html")[0].url == (
        "file:///srv/files/demo-1.0.tar.gz"
    )


def test_comments_scripts_and_other_tags_hide_nothing_else() -> None:
    page = (
        '<!-- <a href="demo-9.0.tar.gz"> -->\n'
        "<script type='text/javascript'>var a = '<a href=\"demo-9.1.tar.gz\">';</script>\n"
        '<STYLE>a:after { content: "<a href=demo-9.2.tar.gz>" }</style >\n'
        '<div title="<a href=demo-9.3.tar.gz>">text &amp; <b>bold</b></div>\n'
        '<abbr href="demo-9.4.tar.gz">not an anchor</abbr>\n'
        '<a href="demo-1.0.tar.gz">the only anchor</a>\n'
        "<?php echo '<a href=demo-9.5.tar.gz>'; ?>\n"
        '</p title="<a href=demo-9.6.tar.gz>">\n'
    )
    assert [x.filename for x in both(page)] == ["demo-1.0.tar.gz"]


def test_files_skipped_as_before() -> None:
    page = "".join(
        f'<a href="{href}">x</a>\n'
        for href in [
            "demo-1.0.tar.gz",  # the one kept
            "other-1.0.tar.gz",  # another project
            "demo_other-1.0-py3-none-any.whl",  # ditto
            "demo-nope.tar.gz",  # no version
            "demo-1.0-py3-none.whl",  # too few parts
            "demo-1.0-x1-py3-none-any.whl",  # a build tag must start with a digit
            "de__mo-1.0-py3-none-any.whl",  # a double underscore
            "demo-1.0.exe",  # neither wheel nor sdist
            "..%2Fdemo-1.0.tar.gz",  # a path once unquoted
            ".demo-1.0.tar.gz",
            "",
        ]
    )
    page += "<a>no href</a><a href>empty href</a>"
    assert [x.filename for x in both(page)] == ["demo-1.0.tar.gz"]


def test_wheel_names_versions_and_build_tags_normalised() -> None:
    page = "".join(
        f'<a href="{f}">x</a>'
        for f in [
            "Demo-1.0.0RC1-py3-none-any.whl",
            "demo-01.02-2extra-py2.py3-none-any.whl",
            "DEMO-1.0.post1.tar.gz",
            "Demo.-2-py3-none-any.whl",
        ]
    )
    assert [x.version for x in both(page, name="demo")] == ["1.0.0rc1", "1.2", "1.0.post1"]
    assert [x.version for x in both(page, name="demo-")] == ["2"]


def test_an_unreadable_anchor_is_skipped_and_the_next_one_read() -> None:
    page = "<a href=\"demo-1.0.tar.gz>broken</a>\n<p>\n<a href='demo-1.1.tar.gz'>x</a>"
    assert [x.filename for x in both(page)] == ["demo-1.1.tar.gz"]


def test_a_tag_that_cannot_close_is_given_up_at_once() -> None:
    """Its attributes are split one way, as html.parser splits them, not tried every way
    (2**40 here, as the names hold quotes) before the scan goes on."""
    page = "<a " + 'x"' * 40 + " y=\"never closed\n<a href='demo-1.0.tar.gz'>x</a>"
    links = pages.parse_html_page(page.encode(), BASE, "demo", "text/html")
    assert [x.filename for x in links] == ["demo-1.0.tar.gz"]
    assert anchors.scan("<div" + 'x"' * 40)[0] == []


def test_an_unclosed_comment_hides_the_rest_of_the_page() -> None:
    page = '<a href="demo-1.0.tar.gz">x</a><!-- <a href="demo-1.1.tar.gz">x</a>'
    links = pages.parse_html_page(page.encode(), BASE, "demo", "text/html")
    assert [x.filename for x in links] == ["demo-1.0.tar.gz"]


def test_references_in_values_follow_html5() -> None:
    """A named reference counts when whole and not before '='; numeric ones always."""
    found, _ = anchors.scan(
        '<a href="x?a=1&copy=2&amp;b=&#51;&#x34;&gt3&lt;" data-x="&amp" data-y="&notin;&notit;">'
    )
    assert found == [{"href": "x?a=1&copy=2&b=34&gt3<", "data-x": "&", "data-y": "∉&notit;"}]


def test_charset_from_the_content_type() -> None:
    page = '<a href="demo-1.0.tar.gz" data-yanked="caf\u00e9">x</a>'.encode("latin-1")
    links = pages.parse_html_page(page, BASE, "demo", "text/html; charset='ISO-8859-1'")
    assert links[0].yanked == "caf\u00e9"


# --------------------------------------------------------------------------- generated


def _quoted(value: str, style: str) -> str:
    if style == "bare" and value and not set(value) & set(" \t\n>'\"=") and "&" not in value:
        return value
    quote = "'" if style == "single" and "'" not in value else '"'
    escaped = value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    return quote + escaped.replace('"', "&quot;" if quote == '"' else '"') + quote


_FILENAMES = st.builds(
    lambda name, version, kind: f"{name}-{version}{kind}",
    st.sampled_from(["demo", "Demo", "DEMO", "de.mo", "other", "demo_x", "de-mo"]),
    st.sampled_from(["1.0", "2.0.0RC1", "v3", "1!2.0", "nope", "1.0-2", "1.0_post1"]),
    st.sampled_from(
        [
            ".tar.gz",
            ".zip",
            ".tgz",
            "-py3-none-any.whl",
            "-1-cp312-cp312-win_amd64.whl",
            "-x-py3-none-any.whl",
            ".exe",
            ".whl",
        ]
    ),
)
_HREFS = st.builds(
    lambda prefix, filename, fragment: prefix + filename + fragment,
    st.sampled_from(
        [
            "",
            "./",
            "../",
            "../../files/",
            "/f/",
            "f//g/",
            "https://h.example/p/ab/",
            "http://h.example:8080/",
            "//cdn.example/x/",
            "HTTP://H/",
            "https://h/a;b/",
            "file:///srv/",
        ]
    ),
    _FILENAMES,
    st.sampled_from(["", "#", f"#sha256={SHA}", "#MD5=AB&sha256=CD", "#x", "?a=b", ";p"]),
)
_ATTRIBUTES = st.lists(
    st.tuples(
        st.sampled_from(
            ["data-requires-python", "data-yanked", "data-core-metadata",
             "data-dist-info-metadata", "DATA-Yanked", "class", "href"]
        ),
        st.one_of(
            st.none(),
            st.sampled_from([">=3.8", "<4,>=3.7", "", "true", "sha256=AB", "false", "a \"b\" 'c'"]),
        ),
        st.sampled_from(["double", "single", "bare"]),
        st.sampled_from([" ", "\n", "\t ", " /"]),
        st.sampled_from(["=", " = ", "=\n"]),
    ),
    max_size=4,
)  # fmt: skip
_ANCHOR = st.builds(
    lambda tag, href, attributes, close: (
        f"<{tag} href={_quoted(href, 'double')}"
        + "".join(
            f"{gap}{key}" + ("" if value is None else f"{eq}{_quoted(value, style)}")
            for key, value, style, gap, eq in attributes
        )
        + close
    ),
    st.sampled_from(["a", "A"]),
    _HREFS,
    _ATTRIBUTES,
    st.sampled_from([">x</a>", " >", "/>", " />\n", ">"]),
)
_FILLER = st.sampled_from(
    ["", "<br/>", "\n", "<!-- <a href='demo-0.1.tar.gz'> -->", "<p class=x>", "</p>", "text &amp;",
     "<script>'<a href=demo-0.2.tar.gz>'</script>", "<base href='../b/'>", "<!DOCTYPE html>"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_FILLER, _ANCHOR), max_size=12),
    st.sampled_from([BASE, "http://127.0.0.1:8765/simple/demo/", "file:///srv/simple/demo/"]),
)
def test_generated_pages_read_as_the_oracle_reads_them(
    parts: List[Tuple[str, str]], base_url: str
) -> None:
    both("".join(filler + anchor for filler, anchor in parts), base_url)


_SEGMENT = st.text(alphabet="ab.%-_~:;?#@[]= \t/\\\u00e9", max_size=6)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(
        [
            BASE,
            "https://h.example",
            "http://h.example/a/b?q=1#f",
            "file:///srv/simple/x/",
            "https://h.example/a/b",
            "HTTPS://H/x/",
            "https://u:p@h.example:81/s/",
        ]
    ),
    st.lists(
        st.one_of(st.sampled_from(["..", ".", "", "x", "https:", "//h2"]), _SEGMENT), max_size=5
    ),
    st.one_of(st.just(""), st.builds(lambda s: "#" + s, _SEGMENT)),
)
def test_joiner_is_urljoin(base: str, segments: List[str], fragment: str) -> None:
    href = "/".join(segments) + fragment
    join = pages.Joiner(base)
    expected = outcome(urljoin, base, href)
    assert outcome(join, href) == expected
    assert outcome(join, href) == expected  # and from its memory of the directory


def outcome(function: Callable[..., str], *args: str) -> object:
    """What `function(*args)` gives, or the type of the error it raises."""
    try:
        return function(*args)
    except ValueError as exc:
        return type(exc)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="aZ0._-\u00e9\n", max_size=6),
    st.text(alphabet="01.rcv!+-_", max_size=6),
    st.text(alphabet="1a_", max_size=3),
    st.sampled_from(["-py3-none-any.whl", ".whl", ".tar.gz", "-py3-none-any.WHL"]),
)
def test_parse_filename_is_packagings(name: str, version: str, build: str, kind: str) -> None:
    filename = f"{name}-{version}" + (f"-{build}" if build else "") + kind
    assert pages.parse_filename(filename) == oracle_filename(filename)


@pytest.mark.parametrize(
    "url",
    [
        f"https://files.example/p/demo-1.0.tar.gz#sha256={SHA}",
        "https://files.example/p/demo-1.0.tar.gz?x=1#sha256=AB",
        "HTTP://files.example/p/demo%2D1.0.tar.gz",
        "https://[::1]/p/demo-1.0.tar.gz#",
        "https://files.example/p/demo-1.0.tar.gz;x#sha1=AB&sha256=cd",
        "https://files.example",
    ],
)
def test_make_link_splits_urls_as_urlsplit(url: str) -> None:
    link = pages.make_link(url, None, {"SHA512": "EF"}, " >=3.8 ", project="demo")
    parts = urlsplit(url)
    if not parts.path.endswith(".tar.gz"):
        assert link is None
        return
    assert link is not None
    assert link.url == urlunsplit(parts._replace(fragment=""))
    assert link.filename == "demo-1.0.tar.gz" and link.requires_python == ">=3.8"
    assert link.hashes["sha512"] == "ef"
    assert pages.make_link(url, None, {}, None, project="other") is None
