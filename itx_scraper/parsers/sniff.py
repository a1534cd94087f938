"""Tell documents apart by their bytes, and reject HTML pages, stubs and zip bombs early."""

from __future__ import annotations

import io
import zipfile

from itx_scraper.core.errors import NotADocumentError, TooLargeError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_WHITESPACE = b" \t\r\n\f\v"

_DESCRIPTIONS = {
    "xls": "an xls workbook",
    "xlsx": "an xlsx workbook",
    "pdf": "a PDF document",
    "html": "an HTML page",
}


def _strip_prefix(body: bytes) -> bytes:
    """Drop leading whitespace and byte-order marks, as browsers do before sniffing."""
    head = body.lstrip(_WHITESPACE)
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :].lstrip(_WHITESPACE)
    return head


def _looks_like_html(head: bytes) -> bool:
    lowered = head.lower()
    return lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:1024]


def detect_format(body: bytes) -> str:
    """Return 'xls', 'xlsx', 'pdf', 'html', 'empty' or 'unknown' from the body's content."""
    if body.startswith(OLE2_MAGIC):
        return "xls"
    # Local file headers carry member names uncompressed, so a plain search finds the
    # workbook part even when the central directory at the end is truncated away.
    if body.startswith(ZIP_MAGIC):
        return "xlsx" if b"xl/workbook.xml" in body else "unknown"
    head = _strip_prefix(body)
    if not head:
        return "empty"
    if head.startswith(PDF_MAGIC):
        return "pdf"
    # UTF-16 pages interleave NULs; removing them is enough to see '<html'.
    if _looks_like_html(head[:2048].replace(b"\x00", b"")):
        return "html"
    return "unknown"


def _describe_allowed(allowed: set[str]) -> str:
    if allowed <= {"xls", "xlsx"}:
        return f"a workbook ({'/'.join(sorted(allowed))})"
    return " or ".join(_DESCRIPTIONS.get(name, name) for name in sorted(allowed))


def _describe_unknown(body: bytes) -> str:
    kind = (
        "a zip archive that is not an xlsx workbook, or is truncated"
        if body.startswith(ZIP_MAGIC)
        else "a truncated or unrecognised file"
    )
    return f"{kind} ({len(body):,} bytes, starts with 0x{body[:8].hex()})"


def _describe_got(fmt: str, body: bytes, content_type: str | None) -> str:
    if fmt == "unknown":
        return _describe_unknown(body)
    details = f"{content_type}, {len(body):,} bytes" if content_type else f"{len(body):,} bytes"
    return f"{_DESCRIPTIONS.get(fmt, fmt)} ({details})"


def require_format(
    body: bytes, content_type: str | None, allowed: set[str], *, min_size: int = 0
) -> str:
    """Return the body's format if it is one of ``allowed``, else raise NotADocumentError.

    The magic bytes decide: a real workbook is accepted whatever its Content-Type
    (servers send application/vnd.ms-excel, octet-stream or worse), while an HTML page
    is refused even when labelled as a workbook. ``content_type`` only enriches the message.
    A body of an allowed format but shorter than ``min_size`` counts as truncated.
    """
    fmt = detect_format(body)
    if fmt == "empty":
        raise NotADocumentError(
            f"empty response ({len(body):,} bytes)" if body else "empty response"
        )
    if fmt not in allowed:
        got = _describe_got(fmt, body, content_type)
        raise NotADocumentError(f"expected {_describe_allowed(allowed)} but got {got}")
    if len(body) < min_size:
        raise NotADocumentError(
            f"truncated {fmt} file ({len(body):,} bytes, expected at least {min_size:,})"
        )
    return fmt


def check_zip_bomb(
    body: bytes, *, max_uncompressed: int = 200 * 2**20, max_ratio: float = 200.0
) -> None:
    """Refuse a zip (xlsx) whose central directory declares too much data; never inflates.

    Bodies that are not zip archives are left alone. A corrupt zip raises NotADocumentError.
    """
    if not body.startswith(ZIP_MAGIC):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise NotADocumentError(
            f"corrupt or truncated xlsx zip archive ({len(body):,} bytes): {exc}"
        ) from exc
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise TooLargeError(
            f"xlsx declares {total:,} bytes uncompressed in {len(members):,} parts"
            f" (limit {max_uncompressed:,})"
        )
    ratio = total / max(len(body), 1)
    if ratio > max_ratio:
        raise TooLargeError(
            f"xlsx compression ratio {ratio:,.0f}:1 exceeds {max_ratio:,.0f}:1"
            f" ({total:,} bytes declared from {len(body):,})"
        )
