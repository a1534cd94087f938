"""Statement pages cost time in proportion to their size, and hostile ones are refused (§3).

Before, ``element_text`` inserted a paragraph mark after every block element; bs4's
``insert_after`` walks to the element's last descendant, so a page nested 8,000 levels deep
took 31 s, 30,000 levels about 160 s, and 100,000 levels never finished. Now one walk with an
explicit stack gives the same text, trees deeper than MAX_DEPTH are refused while they are
built, and statement text over 1 MB and pages over 5 MB are refused. Seconds per MB are in
tests/benchmarks/hostile_pages.py; here, cost is counted in executed lines, not timed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, Cli, Loopback, executed_lines, write_config
from faultkit import report
from hypothesis import given, settings
from hypothesis import strategies as st
from spider_fixtures import SITES

from itx_scraper.core.errors import LayoutError, TooLargeError
from itx_scraper.extract import MAX_TEXT_BYTES
from itx_scraper.parsers.statement import (
    BLOCK_TAGS,
    MAX_DEPTH,
    MAX_PAGE_BYTES,
    PageSelectors,
    check_html,
    clean_line,
    element_text,
    parse_page,
    soup,
)

SELECTORS = PageSelectors(title=("h1",), date=("time[datetime]",), body=(".entry-content",))
SENTENCE = (  # over MIN_BODY_CHARS (200): a shorter body is the empty-body layout error
    "Pakistan's IT exports rose to $310 million in April 2024, the Ministry of IT said in"
    " Islamabad. The ministry added that software houses and freelancers had both sent more"
    " of their earnings home through banks than a year earlier."
)


def quadratic_element_text(element: Any) -> str:
    """The walk before issue 13, kept as the reference for the text it must give."""
    for br in element.find_all("br"):
        br.replace_with("\n\n")
    for block in element.find_all(BLOCK_TAGS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    paragraphs = (clean_line(part) for part in re.split(r"\n\s*\n", element.get_text()))
    return "\n\n".join(part for part in paragraphs if part)


def plain_soup(markup: str) -> BeautifulSoup:
    """A tree without the depth cap, to compare the two walks at any depth."""
    return BeautifulSoup(markup, "html.parser")


def nested(depth: int, tag: str = "div") -> str:
    return f"<{tag}>" * depth + f"<p>{SENTENCE}</p>" + f"</{tag}>" * depth


def page(inner: str) -> str:
    return (
        "<!DOCTYPE html><html><body><h1>IT exports</h1><time datetime='2024-05-01'></time>"
        f"<div class='entry-content'>{inner}</div></body></html>"
    )


# -- the same text as before ------------------------------------------------------------------

FIXTURES = sorted((REPO / "tests" / "fixtures").rglob("*.htm*"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_text_of_every_fixture_page_is_unchanged(path: Path) -> None:
    markup = path.read_bytes().decode("utf-8", "replace")
    assert element_text(soup(markup)) == quadratic_element_text(soup(markup))
    for selector in ("body", "article", "div", "p", "li", "table", ".entry-content"):
        pairs = zip(soup(markup).select(selector), soup(markup).select(selector), strict=True)
        for new, old in pairs:
            assert element_text(new) == quadratic_element_text(old)


NAMES = st.sampled_from(["p", "div", "li", "span", "b", "a", "td", "tr", "h2", "section", "em"])
TEXT = st.text(alphabet=" \n\t\xa0abc$1.,\u200bک", min_size=0, max_size=8)


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < 4 else 0))):
        kind = draw(st.sampled_from(["text", "tag", "br", "comment", "script", "cdata"]))
        if kind == "text":
            parts.append(draw(TEXT))
        elif kind == "br":
            parts.append(draw(st.sampled_from(["<br>", "<br/>", "<BR >"])))
        elif kind == "comment":
            parts.append(f"<!--{draw(TEXT)}-->")
        elif kind == "script":
            parts.append(f"<script>{draw(TEXT)}</script>")
        elif kind == "cdata":
            parts.append(f"<![CDATA[{draw(TEXT)}]]>")
        else:
            name = draw(NAMES)
            closed = draw(st.booleans())
            inner = draw(fragments(depth + 1))
            parts.append(f"<{name}>{inner}" + (f"</{name}>" if closed else ""))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(fragments())
def test_the_walk_gives_the_old_text_on_generated_markup(markup: str) -> None:
    tree = plain_soup(f"<div id='root'>{markup}</div>")
    root = tree.find(id="root")
    assert root is not None
    expected = quadratic_element_text(plain_soup(f"<div id='root'>{markup}</div>").find(id="root"))
    before = str(tree)
    assert element_text(root) == expected
    assert str(tree) == before  # the new walk leaves the tree as it was


# -- linear cost ------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["div", "p"])
def test_text_extraction_costs_twice_as_much_for_twice_the_depth(tag: str) -> None:
    """The old walk grows with depth squared (4x for twice the depth); the new one by 2x."""
    costs = {}
    for depth in (400, 800):
        tree = plain_soup(nested(depth, tag))
        costs[depth] = executed_lines(lambda tree=tree: element_text(tree))
    assert costs[800] / costs[400] < 2.2, costs
    old = {}
    for depth in (400, 800):
        tree = plain_soup(nested(depth, tag))
        old[depth] = executed_lines(lambda tree=tree: quadratic_element_text(tree))
    assert old[800] / old[400] > 2.8, old  # the measure does tell the two apart


def siblings(count: int) -> str:
    """An article whose body holds ``count`` scripts and ``count`` share boxes side by side."""
    junk = "<script>x</script><b>y</b><div class='share'>s</div><i>z</i>" * count
    return (
        "<!DOCTYPE html><html><body><article class='news-detail'><h1>IT exports</h1>"
        f"<time datetime='2024-05-01'></time><div class='entry-content'><p>{SENTENCE}</p>{junk}"
        "</div></article></body></html>"
    )


def test_dropping_many_siblings_costs_twice_as_much_for_twice_as_many() -> None:
    """Scripts and boilerplate are taken out before the text is read; bs4's decompose() looks
    each one up among its siblings, which grows with their number squared."""
    from itx_scraper.parsers.statement import DROP_TAGS
    from itx_scraper.spiders.pseb import SELECTORS as PSEB

    def parse(markup: str) -> None:
        assert SENTENCE in parse_page(markup.encode(), markup, PSEB.page).text

    def decompose_each(markup: str) -> None:
        for tag in plain_soup(markup).find_all(DROP_TAGS):
            tag.decompose()

    def growth(work: Callable[[str], None]) -> float:
        work(siblings(10))  # compiled selectors and patterns are cached after the first call
        costs = {n: executed_lines(lambda n=n: work(siblings(n))) for n in (1_000, 2_000)}
        return costs[2_000] / costs[1_000]

    assert growth(parse) < 2.2
    assert growth(decompose_each) > 3.0  # the measure does tell the two apart


# -- the PID home page: links without dates ---------------------------------------------------


def pid_home(links: int) -> str:
    """A home page of press-release links in one container and no dates anywhere: each
    link's ancestors (its row, up to five above it) hold the whole page."""
    anchors = "".join(
        f'<a href="/site/press_detail/{n}">Press release {n}</a> ' for n in range(1, links + 1)
    )
    return f"<!DOCTYPE html><html><body><div><div>{anchors}</div></div></body></html>"


def read_pid_home(markup: str) -> list[Any]:
    """What PidSpider.parse makes of a home page: its Document and the detail requests."""
    from spider_harness import Page, response_for

    from itx_scraper.spiders.pid import PidSpider

    spider = PidSpider(urls=("https://pid.gov.pk/",), depth=20)
    request = spider.document_request("https://pid.gov.pk/", spider.parse)
    return list(spider.parse(response_for(request, Page(markup.encode()))))


def test_a_pid_home_page_of_many_links_costs_twice_as_much_for_twice_as_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, the date next to every link (duplicates too) was looked for in the text of up
    to six ancestors, each possibly the whole page: 6.4 s at 75 KB, 147 s at 306 KB. Now
    only the ids walked (at most ``depth``) have their date read, once each."""
    from scrapy import Request

    from itx_scraper.spiders import pid

    dated: list[Any] = []
    read = pid.listed_date
    monkeypatch.setattr(pid, "listed_date", lambda anchor: dated.append(anchor) or read(anchor))
    read_pid_home(pid_home(10))  # compiled selectors and patterns are cached after the first
    costs = {}
    for links in (400, 800):
        dated.clear()
        out: list[Any] = []
        costs[links] = executed_lines(
            lambda links=links, out=out: out.extend(read_pid_home(pid_home(links)))
        )
        walked = [item.meta["itx_id"] for item in out if isinstance(item, Request)]
        assert walked == list(range(50, 30, -1))  # depth 20 down from the newest of the first 50
        assert len(dated) == 20  # one date per id walked
    assert costs[800] / costs[400] < 2.2, costs
    report("bounded", case="PID home page of 800 undated links", expected="20 requests")


def test_the_date_of_a_pid_link_costs_the_same_however_large_the_page() -> None:
    from itx_scraper.spiders.pid import listed_date

    costs = {}
    for links in (1_000, 2_000):
        anchor = soup(pid_home(links)).select_one("a")
        assert anchor is not None
        costs[links] = executed_lines(lambda anchor=anchor: listed_date(anchor))
    assert costs[2_000] <= 1.05 * costs[1_000], costs


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [8_000, 30_000, 100_000])
@pytest.mark.parametrize("tag", ["div", "p", "span"])
def test_a_deeply_nested_page_is_a_layout_error(depth: int, tag: str) -> None:
    markup = page(nested(depth, tag))
    refusals: list[str] = []

    def attempt() -> None:
        try:
            parse_page(markup.encode(), markup, SELECTORS)
        except LayoutError as exc:
            refusals.append(str(exc))

    lines = executed_lines(attempt)
    assert refusals == [f"HTML nested more than {MAX_DEPTH} elements deep"], refusals
    # Refused while the tree is built: the work stops at the cap, whatever the depth.
    assert lines < 200_000, lines
    report("bounded", case=f"<{tag}> nested {depth:,} deep", expected="layout", lines=lines)


def test_a_page_just_inside_the_depth_cap_is_read() -> None:
    markup = page(nested(MAX_DEPTH - 10))
    parsed = parse_page(markup.encode(), markup, SELECTORS)
    assert parsed.text == SENTENCE


def test_statement_text_over_1_mb_is_a_layout_error() -> None:
    paragraphs = f"<p>{SENTENCE}</p>" * (MAX_TEXT_BYTES // len(SENTENCE) + 10)
    markup = page(paragraphs)
    assert len(markup) < MAX_PAGE_BYTES
    with pytest.raises(LayoutError, match=r"statement text is [\d,]+ bytes; at most 1,000,000"):
        parse_page(markup.encode(), markup, SELECTORS)
    just_under = page(f"<p>{SENTENCE}</p>" * (MAX_TEXT_BYTES // (len(SENTENCE) + 2) - 50))
    assert parse_page(just_under.encode(), just_under, SELECTORS).text.startswith("Pakistan")
    report("bounded", case="statement text over 1 MB", expected="layout")


def test_a_page_over_5_mb_is_refused_before_parsing() -> None:
    body = page("<p>" + "x" * MAX_PAGE_BYTES + "</p>").encode()
    with pytest.raises(TooLargeError, match=r"HTML page of [\d,]+ bytes") as caught:
        check_html(body)
    assert caught.value.error_class == "size"
    report("bounded", case="HTML page over 5 MB", expected="size")


# -- end to end -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "hostile"),
    [
        ("detail", page(nested(100_000))),
        ("detail", page(f"<p>{SENTENCE}</p>" * 20_000)),
        ("list", page(nested(30_000, "article"))),
    ],
    ids=["detail-100k-deep", "detail-1.5MB-text", "list-30k-deep"],
)
def test_a_hostile_pseb_page_is_recorded_not_stored(
    tmp_path: Path,
    loopback: Loopback,
    cli: Cli,
    where: str,
    hostile: str,
    request: pytest.FixtureRequest,
) -> None:
    base = loopback.url("")
    for path, fixture_page in SITES["pseb"].pages(base).items():
        loopback.serve(path, fixture_page.body, headers={"Content-Type": "text/html"})
    target = "/news" if where == "list" else "/news/it-exports-march-2024"
    loopback.serve(target, hostile.encode(), headers={"Content-Type": "text/html"})
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["pseb"]\n[sources.pseb]\nurl = "{base}/news"\n'
        "[history]\nbaseline = false\n",
    )
    result = cli("run")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Spider error" not in result.stderr
    assert "error: pseb: layout:" in result.stderr, result.stderr
    with sqlite3.connect(tmp_path / "itx.db") as conn:
        failed = conn.execute(
            "SELECT url, error_class FROM fetches WHERE status = 'error'"
        ).fetchall()
        stored = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert failed == [(base + target, "layout")]
    assert stored == 0
    report("bounded", case=f"PSEB {where} page: {request.node.callspec.id}", expected="layout")


def test_sentence_splitting_rereads_no_more_than_the_last_fragment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'Mr. A ' * n: every fragment ends in an abbreviation and joins the sentence before it.
    Searching the whole growing sentence for that ending each time cost n squared (240 kB:
    267 s of CPU); the text each search may scan must stay bounded, whatever n is."""
    from itx_scraper import extract
    from itx_scraper.extract import lexicon

    scanned: list[int] = []
    real = lexicon.ABBREVIATION_END

    class Counting:
        def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
            scanned.append(len(text) - pos)
            return real.search(text, pos)

    monkeypatch.setattr(extract.lx, "ABBREVIATION_END", Counting())
    sentences = extract._sentences("Mr. A " * 4_000)
    assert len(scanned) >= 3_999 and " ".join(sentences).count("Mr. A") == 4_000
    assert max(scanned) <= 32, max(scanned)
