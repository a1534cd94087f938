"""The shared loopback server (itx_scraper/ops/loopback.py) that the demo, tests and benchmarks use."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from conftest import HANG_GUARD, Loopback, Route, wait_for


def get(url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HANG_GUARD) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_routes_scripts_fallback_and_404(loopback: Loopback) -> None:
    loopback.serve("/a", b"alpha", headers={"Content-Type": "text/plain"})
    loopback.script("/s", [Route(b"one"), Route(b"two", 503)])
    assert get(loopback.url("/a"))[:2] == (200, b"alpha")
    assert [get(loopback.url("/s"))[:2] for _ in range(3)] == [
        (200, b"one"),
        (503, b"two"),
        (503, b"two"),  # the last one repeats
    ]
    assert get(loopback.url("/nowhere"))[:2] == (404, b"not found")
    loopback.fallback = lambda request: Route(request.path.encode())
    assert get(loopback.url("/anything"))[:2] == (200, b"/anything")
    assert [r.path for r in loopback.requests_to("/s")] == ["/s", "/s", "/s"]
    _, body, headers = get(loopback.url("/a"))
    assert headers["Content-Type"] == "text/plain"
    assert loopback.requests[-1].body_sent == len(body) == 5
    assert loopback.requests[-1].bytes_sent > len(body)  # the head counts too


def test_conditional_requests_get_304(loopback: Loopback) -> None:
    loopback.routes["/f"] = Route(
        b"file", etag='"v1"', last_modified="Mon, 20 Apr 2026 00:00:00 GMT"
    )
    status, _, headers = get(loopback.url("/f"))
    assert status == 200 and headers["ETag"] == '"v1"'
    assert get(loopback.url("/f"), **{"If-None-Match": '"v1"'})[:2] == (304, b"")
    assert get(loopback.url("/f"), **{"If-None-Match": '"v0"'})[0] == 200
    since = {"If-Modified-Since": "Mon, 20 Apr 2026 00:00:00 GMT"}
    assert get(loopback.url("/f"), **since)[0] == 304


def test_webhook_posts_are_collected_or_refused(loopback: Loopback) -> None:
    assert loopback.hook("/h") == f"json://127.0.0.1:{loopback.port}/h"
    post = urllib.request.Request(loopback.url("/h"), data=b'{"title": "t"}', method="POST")
    with urllib.request.urlopen(post, timeout=HANG_GUARD) as response:
        assert response.status == 200
    loopback.hook_status["/h"] = 500
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(post, timeout=HANG_GUARD)
    assert loopback.posts == {"/h": [{"title": "t"}]}
    assert loopback.requests == []  # the request log is for GETs


def test_a_held_answer_waits_for_its_event_or_a_reset(loopback: Loopback) -> None:
    held = threading.Event()
    loopback.routes["/held"] = Route(b"late", hold=held)
    answers: list[int] = []
    client = threading.Thread(target=lambda: answers.append(get(loopback.url("/held"))[0]))
    client.start()
    wait_for(lambda: loopback.requests_to("/held"), "the request to arrive")
    assert answers == [] and loopback.requests_to("/held")[0].done is None
    held.set()
    client.join(HANG_GUARD)
    assert answers == [200]
    request = loopback.requests_to("/held")[0]
    assert request.done is not None and request.done >= request.at
    loopback.routes["/never"] = Route(b"x", hold=threading.Event())
    client = threading.Thread(target=lambda: answers.append(get(loopback.url("/never"))[0]))
    client.start()
    wait_for(lambda: loopback.requests_to("/never"), "the second request to arrive")
    loopback.reset()  # releases it
    client.join(HANG_GUARD)
    assert answers == [200, 200]


def test_a_stream_stops_when_the_server_is_reset(loopback: Loopback) -> None:
    def endless(closing: threading.Event) -> Iterator[bytes]:
        while not closing.is_set():
            yield b"x" * 1024

    loopback.routes["/stream"] = Route(stream=endless)
    with urllib.request.urlopen(loopback.url("/stream"), timeout=HANG_GUARD) as response:
        assert response.read(4096) == b"x" * 4096
        assert "Content-Length" not in response.headers
        loopback.reset()
    wait_for(lambda: all(r.done for r in loopback.requests), "the stream to end")


def test_pause_before_measures_from_the_previous_answer(loopback: Loopback) -> None:
    loopback.serve("/p", b"")
    get(loopback.url("/p"))
    get(loopback.url("/p"))
    first, second = loopback.requests_to("/p")
    assert first.done is not None
    assert loopback.pause_before(second) == second.at - first.done


def test_only_loopback_addresses() -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        Loopback("192.0.2.1")
    with Loopback("127.0.0.2") as other:
        other.serve("/x", b"y")
        assert get(other.url("/x"))[:2] == (200, b"y")
        assert other.requests[0].host == "127.0.0.2"
