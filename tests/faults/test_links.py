"""Links and redirects a run must not follow, against the real CLI and a loopback server (issue 13 §1).

A PSEB list page and a press feed carry links to local files (``file://127.0.0.1/...`` names
the configured host, which once was enough), to ``/proc/self/environ`` with a notification
token in it, to other schemes and to other hosts, before their real items. The run must read
the real items, store no byte of any local file, and treat the odd links as skipped links,
not as failures. A configured URL that redirects to ``file:`` or ``data:`` is an ``offsite``
error for every spider.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from conftest import HANG_GUARD, Loopback, Pause, write_config
from faultkit import report, run_cli, sources_toml, spider_names, sql, start_cli
from spider_fixtures import PRESS_ARTICLE, SITES
from spider_harness import fixture

DB_FILES = ("itx.db", "itx.db-wal", "itx.db-shm", "itx.db-journal")
VALID_DETAIL = "/news/it-exports-march-2024"


def hostile_links(tmp_path: Path, loopback: Loopback) -> tuple[list[str], list[bytes]]:
    """Links a page may carry that a run must skip, and the secrets they would expose."""
    secret = f"SECRET-{secrets.token_hex(16)}".encode()
    planted = tmp_path / "planted.txt"
    planted.write_bytes(b"first line of a private file\n" + secret + b"\n")
    port = loopback.port
    links = [
        f"file://127.0.0.1{planted}",
        "file://127.0.0.1/proc/self/environ",
        f"file:///{planted}",
        f"ftp://127.0.0.1:{port}/private.txt",
        "data:text/html,<html><body>IT exports were $999 million in April 2024</body></html>",
        "javascript:void(0)",
        "mailto:info@pseb.org.pk",
        "tel:+92519207077",
        f"http://localhost:{port}/news/elsewhere",  # another host
        f"http://127.0.0.1:{port + 1}/news/elsewhere",  # another port
        f"http://user@127.0.0.1:{port}/news/userinfo",
    ]
    return links, [secret, planted.read_bytes().splitlines()[0]]


def notify_token() -> tuple[str, str]:
    """An ITX_NOTIFY destination whose password is a token (found in /proc/self/environ)."""
    token = f"TOKEN{secrets.token_hex(12)}"
    return token, f"json://itx:{token}@127.0.0.1:9/hook"


def pseb_list(links: list[str]) -> bytes:
    items = "".join(
        f'<article class="news-item"><h3><a href="{link}">IT exports news {n}</a></h3>'
        f'<time datetime="2024-04-1{n % 9}">April 2024</time></article>\n'
        for n, link in enumerate(links)
    )
    valid = (
        '<article class="news-item"><h3><a href="/news/it-exports-march-2024">IT exports reach'
        ' $306 million in March</a></h3><time datetime="2024-04-18">April 18, 2024</time>'
        "</article>\n"
    )
    return (
        '<!DOCTYPE html><html><head><title>News</title></head><body><main class="news-list">'
        f"{items}{valid}</main></body></html>"
    ).encode()


def press_feed(links: list[str], article: str) -> bytes:
    def item(n: int, link: str) -> str:
        return (
            f"<item><title>IT exports up, item {n}</title><link><![CDATA[{link}]]></link>"
            f"<guid>item-{n}</guid><pubDate>Fri, 17 May 2024 13:20:00 +0500</pubDate>"
            "<description>Pakistan's IT exports rose in April.</description></item>\n"
        )

    items = "".join(item(n, link) for n, link in enumerate(links))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed</title>'
        f"{items}{item(99, article)}</channel></rss>"
    ).encode()


def serve_sources(
    loopback: Loopback, links: list[str], tmp_path: Path, feed_links: list[str] | None = None
) -> None:
    """A PSEB list page with ``links`` and a feed with ``feed_links`` (default: the same),
    each before one valid item."""
    base = loopback.url("")
    pseb = SITES["pseb"].pages(base)
    loopback.serve("/news", pseb_list(links), headers={"Content-Type": "text/html"})
    loopback.serve(VALID_DETAIL, pseb[VALID_DETAIL].body, headers={"Content-Type": "text/html"})
    loopback.serve(
        "/feeds/business",
        press_feed(links if feed_links is None else feed_links, base + PRESS_ARTICLE),
        headers={"Content-Type": "application/rss+xml"},
    )
    loopback.serve(
        PRESS_ARTICLE,
        fixture("press", "article-it-exports.html"),
        headers={"Content-Type": "text/html"},
    )
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["pseb", "press"]\n[sources.pseb]\nurl = "{base}/news"\ndepth = 1\n'
        f'[sources.press]\nfeeds = ["{base}/feeds/business"]\n'
        "[history]\nbaseline = false\n",
    )


def database_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in DB_FILES if (folder / name).exists()}


def assert_absent(files: dict[str, bytes], needles: list[bytes]) -> None:
    for name, data in files.items():
        for needle in needles:
            assert needle not in data, f"{needle[:20]!r}... found in {name}"


def test_links_to_local_files_leave_no_byte_in_the_database(
    tmp_path: Path, loopback: Loopback
) -> None:
    links, needles = hostile_links(tmp_path, loopback)
    token, destination = notify_token()
    # A feed's link is used as it stands (no base URL): a link without a scheme is no URL.
    no_scheme = ["www.brecorder.com/news/1/no-scheme", "news/2/relative-no-base"]
    serve_sources(loopback, links, tmp_path, [*links, *no_scheme])
    # Look at every database file while the run still holds them open (WAL and all) ...
    pause = Pause(tmp_path / "pause", "crawl.after")
    proc = start_cli(tmp_path, "run", ITX_NOTIFY=destination, **pause.env)
    pause.wait(proc)
    during = database_bytes(tmp_path)
    assert "itx.db-wal" in during  # the write-ahead log exists while the run is open
    pause.release()
    _, stderr = proc.communicate(timeout=HANG_GUARD)
    # ... and after it closed them.
    assert_absent(during, [*needles, token.encode()])
    assert_absent(database_bytes(tmp_path), [*needles, token.encode()])
    assert proc.returncode == 0, stderr
    db = tmp_path / "itx.db"
    # The real items were read: a statement from each source.
    assert sorted(sql(db, "SELECT source, url FROM releases")) == [
        ("press", loopback.url(PRESS_ARTICLE)),
        ("pseb", loopback.url(VALID_DETAIL)),
    ]
    # No skipped link became a request, a fetch row or an error.
    logged = [url for (url,) in sql(db, "SELECT url FROM fetches")]
    assert not [url for url in logged if not url.startswith(loopback.url("/"))], logged
    assert sql(db, "SELECT count(*) FROM fetches WHERE status = 'error'") == [(0,)]
    seen = {r.path for r in loopback.requests}
    assert seen <= {"/robots.txt", "/news", VALID_DETAIL, "/feeds/business", PRESS_ARTICLE}
    assert not [r for r in loopback.requests if "userinfo" in r.path]
    report(
        "links",
        case="list page and feed linking to local files, /proc/self/environ, other schemes",
        links=2 * len(links) + len(no_scheme),
        stored_bytes=0,
        exit=proc.returncode,
    )


@pytest.mark.parametrize(
    "odd",
    [
        "javascript:void(0)",
        "mailto:info@pseb.org.pk",
        "tel:+92519207077",
        "www.no-scheme.pk/x",
        "http://[x/news/1",  # an IPv6 host that never closes: urlsplit raises ValueError
        "http://evil\uff0f.x/news/1",  # a fullwidth solidus in the host: ValueError (NFKC)
    ],
    ids=["javascript", "mailto", "tel", "no-scheme", "bad-ipv6", "nfkc-host"],
)
def test_an_odd_link_before_valid_items_does_not_drop_them(
    odd: str, tmp_path: Path, loopback: Loopback
) -> None:
    # On an HTML page a link without a scheme is relative to the page: only feeds get it.
    serve_sources(loopback, [] if odd.startswith("www.") else [odd], tmp_path, [odd])
    done = run_cli(tmp_path, "run")
    assert done.returncode == 0, done.stderr
    # The items after the odd link were fetched: the server saw both requests.
    assert loopback.requests_to(VALID_DETAIL), [r.path for r in loopback.requests]
    assert loopback.requests_to(PRESS_ARTICLE), [r.path for r in loopback.requests]
    assert sorted(s for (s,) in sql(tmp_path / "itx.db", "SELECT source FROM releases")) == [
        "press",
        "pseb",
    ]
    report("links", case=f"{odd!r} before valid items", exit=done.returncode)


def test_an_offsite_link_is_skipped_quietly_run_after_run(
    tmp_path: Path, loopback: Loopback
) -> None:
    port = loopback.port
    offsite = [f"http://localhost:{port}/news/elsewhere", f"http://127.0.0.1:{port + 1}/news/x"]
    serve_sources(loopback, offsite, tmp_path)
    for _ in range(2):
        done = run_cli(tmp_path, "run")
        assert done.returncode == 0, done.stderr
        assert "error" not in done.stderr.lower(), done.stderr
        assert "skipping link" not in done.stderr  # quiet at the default level
    db = tmp_path / "itx.db"
    assert sql(db, "SELECT count(*) FROM alerts WHERE kind = 'source_error'") == [(0,)]
    assert sql(db, "SELECT DISTINCT status FROM runs") == [("ok",)]
    assert not [r for r in loopback.requests if r.headers.get("Host", "").startswith("localhost")]
    # At -v each skipped link is named, with the reason.
    verbose = run_cli(tmp_path, "run", "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert f"skipping link http://localhost:{port}/news/elsewhere" in verbose.stderr
    assert "is not a configured host and port" in verbose.stderr
    report("links", case="off-site link on a list page, three runs", exit=0, source_errors=0)


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "data:text/html,<html><body>x</body></html>", "ftp://127.0.0.1/x"],
    ids=["file", "data", "ftp"],
)
def test_a_redirect_to_another_scheme_is_offsite(
    location: str, tmp_path: Path, loopback: Loopback
) -> None:
    """Scrapy passes such a redirect on as the 3xx response, which looked like `network`."""
    names = spider_names()
    url = loopback.url("/moved")
    loopback.serve("/moved", b"", status=302, headers={"Location": location})
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n" + sources_toml(url, names))
    done = run_cli(tmp_path, "run")
    assert done.returncode == 1, done.stderr
    db = tmp_path / "itx.db"
    rows = sql(db, "SELECT source, status, error_class, error FROM fetches")
    assert {source for source, *_ in rows} == set(names)
    for source, status, error_class, error in rows:
        assert (status, error_class) == ("error", "offsite"), (source, error)
        assert "refused redirect from" in error and location.split(":")[0] in error, error
    assert sql(db, "SELECT count(*) FROM releases") == [(0,)]
    report("links", case=f"redirect to {location.split(':')[0]}:", sources=len(names), exit=1)
