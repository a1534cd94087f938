"""News feeds read by feedparser: RSS 2.0, Atom, RSS 1.0/RDF, broken XML, non-feeds, XXE."""

from __future__ import annotations

import random
from datetime import date

import pytest
from conftest import Loopback
from spider_harness import fixture

from itx_scraper.core.errors import LayoutError, NotADocumentError
from itx_scraper.parsers.feed import read_feed, without_dtd

RSS_ITEM = (
    b"<item><title>{title}</title><link>https://www.brecorder.com/news/1</link>"
    b"<pubDate>Fri, 17 May 2024 13:20:00 +0500</pubDate></item>"
)


def rss(*items: bytes, prolog: bytes = b'<?xml version="1.0"?>') -> bytes:
    return (
        prolog
        + b'<rss version="2.0"><channel><title>x</title>'
        + b"".join(items)
        + (b"</channel></rss>")
    )


def test_rss_2_feed() -> None:
    items = read_feed(fixture("press", "feed.xml"), "application/rss+xml; charset=utf-8")
    assert [i.guid for i in items] == [
        "brecorder-40303030",
        "brecorder-40303031",
        "brecorder-40303032",
    ]
    first = items[0]
    assert first.title == "IT exports up 24pc to $310m in April"
    assert (
        first.link == "https://www.brecorder.com/news/40303030/it-exports-up-24pc-to-310m-in-april"
    )
    assert first.published == date(2024, 5, 17)
    assert first.summary == (
        "Pakistan's information technology exports rose 24 percent year-on-year in April."
    )


def test_atom_feed() -> None:
    [entry] = read_feed(fixture("press", "atom.xml"))
    assert entry.link.endswith("/2024/05/17/pakistans-it-exports-jump-to-310-million-in-april/")
    assert entry.guid == "https://propakistani.pk/?p=1234567"
    assert entry.published == date(2024, 5, 17)
    assert "$2.593 billion" in entry.content and "<p>" not in entry.content
    assert entry.content.count("\n\n") == 1  # one paragraph per <p>


def test_rss_1_rdf_feed() -> None:
    it, wheat = read_feed(fixture("press", "rdf.xml"))
    assert it.title == "IT exports reach $310 million in April"
    assert it.guid == it.link and it.link.endswith("/it-exports-reach-310-million-in-april")
    assert it.published == date(2024, 5, 17)  # dc:date 21:10 UTC is the next day in PKT
    assert "$2.593 billion" in it.content
    assert wheat.published == date(2024, 5, 17) and wheat.content == ""


def test_rss_0_91_feed() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="0.91"><channel><title>x</title>'
        b"<item><title>IT exports rise</title><link>https://a.pk/1</link>"
        b"<description>Pakistan's IT exports rose.</description></item></channel></rss>"
    )
    [item] = read_feed(body)
    assert (item.title, item.link, item.published) == ("IT exports rise", "https://a.pk/1", None)


def test_broken_xml_that_feedparser_still_reads() -> None:
    body = rss(
        RSS_ITEM.replace(b"{title}", b"IT & ITeS exports rise&nbsp;24pc"),  # bare &, HTML entity
        RSS_ITEM.replace(b"{title}", b"Second <b>item</i>"),  # mismatched tags
    )
    items = read_feed(body)
    assert len(items) == 2
    assert items[0].title.startswith("IT &") and "24pc" in items[0].title
    assert all(item.published == date(2024, 5, 17) for item in items)


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><body>Home</body></html>",
            LayoutError,
            r"not an RSS or Atom feed: an HTML page \(text/html, 45 bytes\)",
            id="html-page",
        ),
        pytest.param(
            b"<?xml version='1.0'?><urlset><url><loc>https://a.pk/</loc></url></urlset>",
            LayoutError,
            "not an RSS or Atom feed: an XML document with root <urlset>",
            id="sitemap",
        ),
        pytest.param(
            b'{"items": [{"title": "IT exports"}]}',
            LayoutError,
            "not an RSS or Atom feed: neither XML nor HTML",
            id="json",
        ),
        pytest.param(
            random.Random(5).randbytes(3000),
            LayoutError,
            "not an RSS or Atom feed",
            id="random-bytes",
        ),
        pytest.param(b"", NotADocumentError, "empty feed", id="empty"),
        pytest.param(b" \n ", NotADocumentError, "empty feed", id="blank"),
        pytest.param(
            fixture("press", "feed.xml")[:1400],
            NotADocumentError,
            "truncated feed: no closing tag of its root element",
            id="truncated",
        ),
    ],
)
def test_what_is_not_a_feed(body: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        read_feed(body, "text/html")


def test_an_empty_feed_has_no_items() -> None:
    assert read_feed(rss()) == []


# -- XML attacks: no file is read, no URL is fetched, no entity is expanded -----------------


def test_external_entity_is_not_read() -> None:
    for layout in (b"", b"\n"):
        body = rss(
            RSS_ITEM.replace(b"{title}", b"&e;"),
            prolog=b'<?xml version="1.0"?>'
            + layout
            + b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + layout,
        )
        [item] = read_feed(body)
        assert "root:" not in item.title and len(item.title) < 10


def test_no_url_in_a_feed_is_fetched(loopback: Loopback) -> None:
    for path in ("/entity", "/dtd", "/parameter"):
        loopback.serve(path, b'<!ENTITY x "fetched">', headers={"Content-Type": "text/plain"})
    prologs = [
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{loopback.url("/entity")}">]>',
        f'<!DOCTYPE rss SYSTEM "{loopback.url("/dtd")}">',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{loopback.url("/parameter")}"> %p;]>',
    ]
    for prolog in prologs:
        body = rss(RSS_ITEM.replace(b"{title}", b"IT &x;"), prolog=prolog.encode())
        [item] = read_feed(body)
        assert "fetched" not in item.title
    assert [r.path for r in loopback.requests] == []


def billion_laughs(separator: bytes) -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10)]
    prolog = b"<!DOCTYPE lolz [" + separator + separator.join(entities) + separator + b"]>"
    return rss(RSS_ITEM.replace(b"{title}", b"&lol9;"), prolog=prolog)


@pytest.mark.parametrize("separator", [b"", b"\n"], ids=["one-line", "multi-line"])
def test_billion_laughs_is_not_expanded(separator: bytes) -> None:
    """10^9 'lol's if expanded; the DOCTYPE is removed before any XML parser sees it."""
    body = billion_laughs(separator)
    assert b"<!ENTITY" not in without_dtd(body)
    [item] = read_feed(body)
    assert "lollol" not in item.title and len(item.title) < 20


def test_removing_the_doctype_keeps_the_feed() -> None:
    feed = fixture("press", "feed.xml")
    assert without_dtd(feed) == feed  # no DOCTYPE: the same bytes
    netscape = feed.replace(
        b"<rss ",
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss ',
        1,
    )
    assert without_dtd(netscape) == feed.replace(b"<rss ", b"\n<rss ", 1)
    assert [i.guid for i in read_feed(netscape)] == [i.guid for i in read_feed(feed)]
