"""Issue 15 readers: dates by python-dateutil, Urdu relevance, articles by trafilatura, notes."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from spider_harness import fixture

from itx_scraper.core.errors import LayoutError
from itx_scraper.core.periods import Month
from itx_scraper.extract import Fact, extract
from itx_scraper.parsers.statement import (
    MissingDateError,
    is_relevant_urdu,
    is_statement,
    parse_date,
    read_article,
    statement_observations,
)

ARTICLE_URL = "https://www.brecorder.com/news/40303030/it-exports-up-24pc-to-310m-in-april"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2024-05-17 23:30 +0000", date(2024, 5, 18), id="iso-space-before-zone"),
        pytest.param("Posted 2024-05-17 10:00 by staff", date(2024, 5, 17), id="iso-in-text"),
        pytest.param("Fri, 17 May 2024 20:00:00 GMT", date(2024, 5, 18), id="rfc822-gmt"),
        pytest.param("18 May 2024 23:00 PKT", date(2024, 5, 18), id="pkt-named"),
        pytest.param("May 18, 2024 11:30 PM", date(2024, 5, 18), id="no-zone-is-local"),
        pytest.param("Islamabad, May 18, 2024 (PID)", date(2024, 5, 18), id="dateline"),
        pytest.param("May 2024", None, id="no-day"),
        pytest.param("18 May", None, id="no-year"),
        pytest.param("18/05/24", None, id="two-digit-year"),
    ],
)
def test_parse_date_with_dateutil(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "relevant"),
    [
        ("پاکستان کی آئی ٹی برآمدات اپریل میں 31 کروڑ ڈالر رہیں۔", True),
        ("کراچی: سافٹ وئیر کی برآمدات میں اضافہ ہوا۔", True),  # وئیر spelling
        ("اسٹیٹ بینک کے مطابق انفارمیشن ٹیکنالوجی کی برآمدات 3 ارب ڈالر رہیں۔", True),
        ("Islamabad: آئی ٹی ایکسپورٹس 31 کروڑ ڈالر رہیں۔", True),  # context in English
        ("آئی ٹی برآمدات اپریل میں 31 کروڑ ڈالر رہیں۔", False),  # no Pakistan context
        ("پاکستان کی آئی ٹی کمپنیاں۔ چاول کی برآمدات بڑھ گئیں۔", False),  # not one sentence
        ("پاکستان میں گندم کی خریداری کا ہدف حاصل کر لیا گیا۔", False),
    ],
)
def test_urdu_relevance(text: str, relevant: bool) -> None:
    assert is_relevant_urdu(text) is relevant
    assert is_statement(text) is relevant


def test_a_bilingual_page_is_a_statement_in_either_language() -> None:
    assert is_statement("Pakistan's IT exports rose to $310 million in April.")
    urdu = "پاکستان کی آئی ٹی برآمدات 31 کروڑ ڈالر رہیں۔"
    assert is_statement(f"Cabinet meeting.\n\n{urdu}")


def article(**replace: str) -> bytes:
    body = fixture("press", "article-it-exports.html")
    for old, new in replace.items():
        body = body.replace(old.encode(), new.encode())
    return body


def test_trafilatura_reads_the_article() -> None:
    body = article()
    page = read_article(body, body.decode(), url=ARTICLE_URL)
    assert page.title == "IT exports up 24pc to $310m in April"
    assert page.published == date(2024, 5, 17) and page.dated_by == "page"
    assert page.text.startswith("KARACHI: Pakistan's information technology (IT) exports rose")
    assert page.text.count("\n\n") == 2  # three paragraphs
    assert "Related:" not in page.text and "Copyright" not in page.text


def test_an_article_date_with_a_zone_is_a_pkt_date() -> None:
    body = article(
        **{
            "2024-05-17T08:20:00+00:00": "2024-05-16T22:20:00+00:00",
            "2024-05-17T13:20:00+05:00": "2024-05-17T03:20:00+05:00",
        }
    )
    page = read_article(body, body.decode(), url=ARTICLE_URL)
    assert page.published == date(2024, 5, 17)


def undated_article() -> bytes:
    body = article(**{'"datePublished": "2024-05-17T13:20:00+05:00"': '"author": "Staff"'})
    start = body.index(b'<meta property="article:published_time"')
    return body[:start] + body[body.index(b">", start) + 1 :]


def test_an_article_without_a_date_takes_the_feed_date() -> None:
    body = undated_article()
    page = read_article(body, body.decode(), url=ARTICLE_URL, listed_date=date(2024, 5, 16))
    assert (page.published, page.dated_by) == (date(2024, 5, 16), "list")
    with pytest.raises(MissingDateError, match="no publication date on the article page"):
        read_article(body, body.decode(), url=ARTICLE_URL)


def test_an_article_dated_only_in_its_url() -> None:
    body = undated_article()
    page = read_article(body, body.decode(), url="https://propakistani.pk/2024/05/15/it-exports/")
    assert (page.published, page.dated_by) == (date(2024, 5, 15), "page")


def test_an_article_without_text_is_a_layout_error() -> None:
    body = article()
    start = body.index(b"<article>")
    body = body[:start] + body[body.index(b"</article>") + len(b"</article>") :]
    with pytest.raises(LayoutError, match="empty article body: trafilatura found"):
        read_article(body, body.decode(), url=ARTICLE_URL)


def test_a_corrected_period_is_noted_on_the_stored_figure() -> None:
    text = (
        "Pakistan's IT exports were $1.4 billion in July-February of FY 2022/23, compared with"
        " $1.2 billion in July-February of FY 2022/23."
    )
    facts = [f for f in extract(text, date(2023, 3, 20)) if f.kind == "amount"]
    assert [f.note for f in facts] == [None, "period corrected"]
    rows = [obs.as_row() for obs in statement_observations(facts)]
    assert [(r["period"], r["usd_million"], r["note"]) for r in rows] == [
        ("2022-07/2023-02", 1400.0, None),
        ("2021-07/2022-02", 1200.0, "comparison: figure quoted for comparison; period corrected"),
    ]


def test_urdu_and_english_statements_give_the_same_rows() -> None:
    english = "Pakistan's IT exports were $310 million in April 2024."
    urdu = "پاکستان کی آئی ٹی برآمدات اپریل 2024 میں 31 کروڑ ڈالر رہیں۔"
    day = date(2024, 5, 14)
    rows_en, rows_ur = (statement_observations(extract(text, day)) for text in (english, urdu))
    assert [(o.period, o.value, o.note) for o in rows_ur] == [("2024-04", 310.0, None)]
    assert [(o.period, o.value, o.note) for o in rows_en] == [("2024-04", 310.0, None)]


def test_fact_notes_reach_observations_only_for_amounts() -> None:
    march = Month(2024, 3)
    fact = Fact(march, march, "yoy_pct", None, 5.0, "text", note="period corrected")
    assert statement_observations([fact]) == []


def test_loading_every_spider_imports_neither_feedparser_nor_trafilatura() -> None:
    """`itx-scraper run` of one SBP source loads every spider module: the readers stay lazy."""
    code = (
        "import sys\n"
        "from scrapy.settings import Settings\n"
        "from scrapy.spiderloader import SpiderLoader\n"
        "settings = Settings()\n"
        "settings.setmodule('itx_scraper.settings', priority='project')\n"
        "loader = SpiderLoader.from_settings(settings)\n"
        "[loader.load(name) for name in loader.list()]\n"
        "print(sorted(m for m in ('feedparser', 'trafilatura', 'dateutil') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
