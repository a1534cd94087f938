"""Statement pages: dates, relevance, body text, stored rows (feeds: test_feeds.py)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from spider_harness import fixture

from itx_scraper.core.errors import LayoutError, NotADocumentError, ParseError
from itx_scraper.core.periods import Month
from itx_scraper.extract import Fact
from itx_scraper.parsers.statement import (
    PageSelectors,
    decode_news_token,
    is_relevant,
    parse_date,
    parse_page,
    statement_body,
    statement_observations,
    url_date,
)
from itx_scraper.spiders.moitt import SELECTORS as MOITT

PAGE = MOITT.page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2024-05-17", date(2024, 5, 17), id="iso"),
        pytest.param("2024-05-17T23:30:00Z", date(2024, 5, 18), id="iso-utc-is-next-day-in-pkt"),
        pytest.param("2024-05-17T13:20:00+05:00", date(2024, 5, 17), id="iso-pkt"),
        pytest.param("Fri, 17 May 2024 20:00:00 +0000", date(2024, 5, 18), id="rfc822"),
        pytest.param("Fri, 17 May 2024 13:20:00 +0500", date(2024, 5, 17), id="rfc822-pkt"),
        pytest.param("17 April 2024", date(2024, 4, 17), id="d-month-y"),
        pytest.param("17th April, 2024", date(2024, 4, 17), id="ordinal"),
        pytest.param("01 Jun 2021", date(2021, 6, 1), id="brecorder"),
        pytest.param("17-Apr-2024", date(2024, 4, 17), id="d-mon-y"),
        pytest.param("April 24th, 2022", date(2022, 4, 24), id="dawn-trailer"),
        pytest.param("Published May 18, 2024 | 04:10 PM", date(2024, 5, 18), id="urdupoint"),
        pytest.param("Updated 20 January 2026", date(2026, 1, 20), id="arab-news"),
        pytest.param("17/04/2024", date(2024, 4, 17), id="day-first-numeric"),
        pytest.param("Sept 3, 2025", date(2025, 9, 3), id="sept"),
        pytest.param("Wednesday", None, id="weekday-only"),
        pytest.param("17.04.24", None, id="two-digit-year"),
        pytest.param("2024-13-01", None, id="bad-month"),
        pytest.param("31 February 2024", None, id="bad-day"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://propakistani.pk/2024/05/17/it-exports/", date(2024, 5, 17)),
        ("https://nation.com.pk/17-May-2024/it-exports", date(2024, 5, 17)),
        ("https://radio.gov.pk/17-05-2024/it-exports", date(2024, 5, 17)),
        ("https://www.brecorder.com/news/40303030/it-exports", None),
    ],
)
def test_url_date(url: str, expected: date | None) -> None:
    assert url_date(url) == expected


@pytest.mark.parametrize(
    ("text", "relevant"),
    [
        ("Pakistan's IT exports rose to $310 million in April.", True),
        ("ICT export remittances from Pakistan grew 21%.", True),
        ("Software exports of Pakistani firms rose in FY24.", True),
        ("Karachi: Information technology exports increased.", True),
        ("IT exports rose to $310 million in April.", False),  # no Pakistan context
        ("The IT minister visited Karachi. Exports of rice rose.", False),  # not one sentence
        ("Pakistan's rice exports rose; it was a good year.", False),  # 'it' is not IT
        ("Pakistan's textile exports fell 5pc.", False),
    ],
)
def test_relevance(text: str, relevant: bool) -> None:
    assert is_relevant(text) is relevant


def test_moitt_token_decodes_to_the_guid() -> None:
    token = "Njk4ZDI0MTAtYzdiMy00MDMwLTljNTItZjI3OWM2MGQ4OWYz"
    assert decode_news_token(token) == "698d2410-c7b3-4030-9c52-f279c60d89f3"
    assert decode_news_token(token.rstrip("z")) is None  # truncated
    assert decode_news_token("aGVsbG8gd29ybGQ=") is None  # base64 of 'hello world'


def page(name: str = "detail-it-exports.html", **kwargs: object):
    body = fixture("moitt", name)
    return parse_page(body, body.decode(), PAGE, **kwargs)  # type: ignore[arg-type]


def test_detail_page_gives_title_date_and_clean_text() -> None:
    result = page()
    assert result.title == "Pakistan's IT exports hit all-time high of $310 million in April"
    assert result.published == date(2024, 5, 17)
    assert result.text.startswith("Islamabad, May 17, 2024: Pakistan's information technology")
    assert "$999" not in result.text and "document.write" not in result.text  # script dropped
    assert "Share on Facebook" not in result.text  # boilerplate dropped
    assert result.text.count("\n\n") == 3  # one paragraph per <p>


def replace(old: str, new: str) -> bytes:
    return fixture("moitt", "detail-it-exports.html").replace(old.encode(), new.encode())


def _emptied() -> bytes:
    body = fixture("moitt", "detail-it-exports.html")
    start = body.index(b'<div class="news-content">') + len(b'<div class="news-content">')
    return body[:start] + body[body.index(b"</div>", body.index(b'class="share"')) + 6 :]


EMPTIED = _emptied()  # the article's container is there, its paragraphs are gone


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        pytest.param(
            replace('<span class="news-date">May 17, 2024</span>', ""),
            LayoutError,
            "no publication date",
            id="missing-date",
        ),
        pytest.param(
            replace("May 17, 2024</span>", "17.05.24</span>"),
            ParseError,
            "unexpected format: '17.05.24'",
            id="unexpected-date-format",
        ),
        pytest.param(
            EMPTIED,
            LayoutError,
            r"empty article body: the selectors \(.news-detail .news-content, .news-detail "
            r".detail-content\) found no text and trafilatura \d+ characters, fewer than 200",
            id="empty-body",
        ),
        pytest.param(
            replace('class="news-title"', 'class="x"').replace(b"<h2", b"<p"),
            LayoutError,
            "no title",
            id="no-title",
        ),
        pytest.param(
            fixture("moitt", "detail-it-exports.html")[:1500],
            NotADocumentError,
            "truncated",
            id="truncated",
        ),
        pytest.param(b"", NotADocumentError, "empty", id="empty"),
        pytest.param(
            random.Random(3).randbytes(5000),
            NotADocumentError,
            "not an HTML page",
            id="random-bytes",
        ),
        pytest.param(b"%PDF-1.4 ...", NotADocumentError, "pdf", id="a-pdf"),
    ],
)
def test_bad_detail_pages_raise_a_parse_error(body: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        parse_page(body, body.decode("utf-8", "replace"), PAGE)


def test_list_date_and_title_fill_in_only_when_the_page_has_none() -> None:
    body = replace('<span class="news-date">May 17, 2024</span>', "")
    result = parse_page(body, body.decode(), PAGE, listed_date=date(2024, 5, 16))
    assert result.published == date(2024, 5, 16)
    assert page(listed_date=date(2024, 1, 1)).published == date(2024, 5, 17)


def test_json_ld_date_is_read_although_scripts_are_dropped() -> None:
    selectors = PageSelectors(title=("h1",), date=("json-ld",), body=("article",))
    body = fixture("press", "article-it-exports.html")
    assert parse_page(body, body.decode(), selectors).published == date(2024, 5, 17)


def test_cosmetic_html_changes_keep_the_stored_body() -> None:
    first = page()
    body = replace("<footer>", '<div class="banner">New portal launched!</div><footer>')
    body = body.replace(b"<nav", b'<nav data-build="2024-06-01"')
    second = parse_page(body, body.decode(), PAGE)
    assert statement_body(*_parts(first)) == statement_body(*_parts(second))
    edited = replace("$2.593 billion", "$2.594 billion")
    third = parse_page(edited, edited.decode(), PAGE)
    assert statement_body(*_parts(third)) != statement_body(*_parts(first))


def _parts(result):  # type: ignore[no-untyped-def]
    return result.title, result.published, result.text


def fact(
    period: tuple[Month, Month],
    value: float | None,
    kind: str = "amount",
    *,
    comparison: bool = False,
    suspect: str | None = None,
) -> Fact:
    return Fact(period[0], period[1], kind, value, None, "text", comparison, suspect)


def test_statement_observations_keep_amounts_only_with_notes() -> None:
    apr = (Month(2024, 4), Month(2024, 4))
    fytd = (Month(2023, 7), Month(2024, 4))
    rows = [
        obs.as_row()
        for obs in statement_observations(
            [
                fact(apr, 310.0),
                fact(apr, 310.0),  # title and body
                fact(apr, 250.0, comparison=True),
                fact(apr, 31.0, suspect="below the monthly range"),
                fact(fytd, 2593.0),
                fact(apr, None, "yoy_pct"),
                fact(fytd, 5000.0, "target"),
                fact(fytd, 4600.0, "other"),
            ]
        )
    ]
    assert [(r["period"], r["usd_million"], r["months"], r["note"]) for r in rows] == [
        ("2024-04", 310.0, 1, None),
        ("2024-04", 250.0, 1, "comparison: figure quoted for comparison"),
        ("2024-04", 31.0, 1, "suspect: below the monthly range"),
        ("2023-07/2024-04", 2593.0, 10, None),
    ]
    assert {(r["series"], r["flow"], r["label"]) for r in rows} == {("9", "credit", "statement")}
