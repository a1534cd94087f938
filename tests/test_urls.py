"""One rule decides which URLs a run may request: http(s), a configured host and port."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itx_scraper.core.urls import Origin, join, origins, refusal

SBP = origins(["https://archive.sbp.org.pk/ecodata/dt.xls"])
LOOPBACK = origins(["http://127.0.0.1:8080/news"])


@pytest.mark.parametrize(
    ("url", "allowed", "reason"),
    [
        pytest.param("https://archive.sbp.org.pk/x.xls", SBP, None, id="same-host"),
        pytest.param("https://ARCHIVE.sbp.org.pk./x.xls", SBP, None, id="case-and-dot"),
        pytest.param("https://x.archive.sbp.org.pk/a", SBP, None, id="subdomain"),
        pytest.param("https://archive.sbp.org.pk:443/a", SBP, None, id="explicit-port"),
        pytest.param("https://www.sbp.org.pk/a", SBP, "not a configured host", id="sibling"),
        pytest.param("https://evilarchive.sbp.org.pk/", SBP, "not a configured", id="suffix"),
        pytest.param("https://archive.sbp.org.pk:8443/a", SBP, "not a configured", id="port"),
        pytest.param("http://archive.sbp.org.pk/a", SBP, "not a configured", id="http-port-80"),
        pytest.param("file://archive.sbp.org.pk/etc/passwd", SBP, "scheme 'file'", id="file"),
        pytest.param("file:///dev/zero", SBP, "scheme 'file'", id="file-local"),
        pytest.param("ftp://archive.sbp.org.pk/x", SBP, "scheme 'ftp'", id="ftp"),
        pytest.param("data:text/html,<b>x</b>", SBP, "scheme 'data'", id="data"),
        pytest.param("s3://bucket/x", SBP, "scheme 's3'", id="s3"),
        pytest.param("javascript:void(0)", SBP, "scheme 'javascript'", id="javascript"),
        pytest.param("mailto:info@sbp.org.pk", SBP, "scheme 'mailto'", id="mailto"),
        pytest.param("tel:+92519207077", SBP, "scheme 'tel'", id="tel"),
        pytest.param("archive.sbp.org.pk/x.xls", SBP, "not an absolute", id="no-scheme"),
        pytest.param("//archive.sbp.org.pk/x.xls", SBP, "not an absolute", id="scheme-relative"),
        pytest.param("https://archive.sbp.org.pk@evil.org/", SBP, "user info", id="userinfo"),
        pytest.param("https://evil.org\\@archive.sbp.org.pk/", SBP, "backslash", id="backslash"),
        pytest.param("https://archive.sbp.org.pk:99999/", SBP, "not an absolute", id="bad-port"),
        pytest.param("http://[x/news/1", SBP, "not a URL", id="bad-ipv6"),
        pytest.param("http://evil\uff0f.x/", SBP, "not a URL", id="nfkc-host"),
        pytest.param("https://[::1/a", LOOPBACK, "not a URL", id="unclosed-ipv6"),
        pytest.param("http://127.0.0.1:8080/news/1", LOOPBACK, None, id="loopback"),
        pytest.param("http://127.0.0.1:8081/news/1", LOOPBACK, "127.0.0.1:8081", id="other-port"),
        pytest.param("http://localhost:8080/", LOOPBACK, "not a configured", id="localhost"),
    ],
)
def test_refusal(url: str, allowed: frozenset[Origin], reason: str | None) -> None:
    found = refusal(url, allowed)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_origins_of_configured_urls() -> None:
    assert origins(["https://www.dawn.com/feeds/business", "http://127.0.0.1:9/x"]) == {
        Origin("www.dawn.com", 443),
        Origin("127.0.0.1", 9),
    }
    # Outlets put feeds on www. and articles on the bare domain: the press allows both.
    wide = origins(["https://www.dawn.com/feeds/business"], strip_www=True)
    assert refusal("https://dawn.com/news/1", wide) is None
    assert refusal("https://www.dawn.com/news/1", wide) is None
    assert origins(["not a url", "mailto:x@y.z"]) == frozenset()


@pytest.mark.parametrize(
    ("base", "href", "joined"),
    [
        pytest.param(
            "https://pseb.org.pk/news", "/news/1", "https://pseb.org.pk/news/1", id="path"
        ),
        pytest.param(
            "https://pseb.org.pk/news", "x?p=2", "https://pseb.org.pk/x?p=2", id="relative"
        ),
        pytest.param("https://pseb.org.pk/", "mailto:a@b.pk", "mailto:a@b.pk", id="other-scheme"),
        pytest.param("https://pseb.org.pk/", "http://[x/news/1", None, id="bad-ipv6"),
        pytest.param("https://pseb.org.pk/", "http://evil\uff0f.x/", None, id="nfkc-host"),
        pytest.param("https://pseb.org.pk/", "//[x/news", None, id="scheme-relative-ipv6"),
    ],
)
def test_join_gives_none_for_a_link_no_parser_reads(
    base: str, href: str, joined: str | None
) -> None:
    """A link that urljoin cannot read is no link: the page's other links still count."""
    assert join(base, href) == joined


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(["https://www.sbp.org.pk", "http://127.0.0.1:8080", "HTTP://A.pk"]),
    rest=st.text(alphabet="abcXYZ019._~!$&'()*+,;=:@/%?-# \"<>^`{|}é", max_size=16),
)
def test_the_canonical_form_is_w3libs(base: str, rest: str) -> None:
    """canonical_url skips importing w3lib for URLs it would leave unchanged: it must give
    exactly what w3lib gives for every URL, whichever path it takes."""
    from w3lib.url import safe_url_string

    from itx_scraper.core.config import canonical_url

    url = f"{base}/{rest}"
    assert canonical_url(url) == safe_url_string(url)
