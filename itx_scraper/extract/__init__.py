"""Pull US$ ICT-export amounts and growth rates, each with its period, out of press prose."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from itx_scraper.core.periods import Month, fiscal_year_start
from itx_scraper.extract import lexicon as lx
from itx_scraper.extract.periods import (
    Period,
    Span,
    find_periods,
    resolve,
    shape_span,
    survey_fy,
    two_digit,
)

if TYPE_CHECKING:
    import datetime

logger = logging.getLogger(__name__)

KINDS = ("amount", "yoy_pct", "mom_pct", "target", "projection", "other")
MIN_YEAR, MAX_YEAR = 1990, 2100
SANE_MONTHLY = (50.0, 600.0)  # US$ m per month, checked for 2019-2027
SANE_YEARS = range(2019, 2028)
MAX_SENTENCE = 2000  # characters; longer runs are cut at '; ', ', ' or a space
MAX_TEXT_BYTES = 1_000_000  # the extract command refuses more (issue 13)
MAX_GAP = 200  # characters between an amount and the period that follows it


@dataclass(frozen=True)
class Fact:
    """One figure stated in a text for a period of months.

    ``usd_million`` is set for amounts, targets, projections and 'other' figures (a range such
    as "$3.5-3.7 billion" keeps its lower end); ``pct`` for 'yoy_pct'/'mom_pct' growth rates.
    ``lang`` is the sentence's language ("en" or "ur"); ``note`` says when the period was not
    taken as printed ("period corrected": a comparison that repeated the main figure's period).
    """

    start: Month
    end: Month
    kind: str
    usd_million: float | None
    pct: float | None
    text: str
    comparison: bool = False
    suspect: str | None = None
    lang: str = "en"
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"start": str(self.start), "end": str(self.end)}
        if self.usd_million is not None:
            out["usd_million"] = self.usd_million
        if self.pct is not None:
            out["pct"] = self.pct
        out["kind"] = self.kind
        out["text"] = self.text
        if self.comparison:
            out["comparison"] = True
        if self.suspect:
            out["suspect"] = self.suspect
        if self.note:
            out["note"] = self.note
        out["lang"] = self.lang
        return out


@dataclass
class _Value:
    start: int
    end: int
    is_pct: bool
    value: float
    is_range: bool = False
    sign: str = ""
    cmp: bool = False
    kind: str = "amount"
    span: Span | None = None
    note: str | None = None


@dataclass
class Reading:
    """The figures of a text, and the period phrases that only a publication date can name."""

    facts: list[Fact]
    needs_date: list[str]  # "April" in "$310 million in April", read without a date

    def lines(self) -> list[str]:
        """One JSON object per figure."""
        return [json.dumps(f.to_json(), ensure_ascii=False) for f in self.facts]

    def hint(self) -> str | None:
        """One line saying that ``--date`` names the periods left open, if any were."""
        if not self.needs_date:
            return None
        phrases = ", ".join(f"'{p}'" for p in dict.fromkeys(self.needs_date))
        return f"no year for {phrases}: pass --date YYYY-MM-DD (the publication date) to resolve it"


class UnreadableText(ValueError):
    """The input cannot be read as text: over MAX_TEXT_BYTES, or not UTF-8."""


class TextTooLarge(UnreadableText):
    """The input is over MAX_TEXT_BYTES."""


def read(text: str, published: datetime.date | None = None) -> Reading:
    """Every US$ amount and growth rate that ``text`` states for a period, and what stayed open."""
    pub = Month(published.year, published.month) if published is not None else None
    reading = Reading([], [])
    for raw in _sentences(text):
        try:
            reading.facts.extend(_sentence_facts(raw, pub, reading.needs_date))
        except (ValueError, OverflowError, IndexError):  # a bug: keep the other sentences
            logger.warning("sentence skipped: %.80r", raw, exc_info=True)
    return reading


def extract(text: str, published: datetime.date | None = None) -> list[Fact]:
    """Return every US$ amount and growth rate that ``text`` states for a period."""
    return read(text, published).facts


def read_capped(stream: TextIO, name: str) -> str:
    """The whole of ``stream``, refusing more than MAX_TEXT_BYTES of UTF-8 text."""
    try:
        text = stream.read(MAX_TEXT_BYTES + 1)  # a character is at least one byte
        size = len(text.encode("utf-8"))  # surrogates (a stdin read with surrogateescape)
    except UnicodeError as exc:
        raise UnreadableText(f"{name} is not UTF-8 text") from exc
    if size <= MAX_TEXT_BYTES:
        return text
    size = f"more than {MAX_TEXT_BYTES:,} bytes"
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        status = os.fstat(stream.fileno())
        if stat.S_ISREG(status.st_mode):  # a file says its size; a pipe only what was read
            size = f"{status.st_size:,} bytes"
    raise TextTooLarge(f"{name} is {size}; extract reads at most {MAX_TEXT_BYTES:,} bytes (1 MB)")


# ---- text preparation ------------------------------------------------------------------------
ABBREVIATION_SPAN = 16  # characters enough for the longest abbreviation and its boundary


def _sentences(text: str) -> list[str]:
    groups: list[list[str]] = []  # fragments of one sentence, joined once (not += per "Mr.")
    for piece in lx.SENTENCE_END.split(text):
        # Only the end of the last fragment can be an abbreviation: searching the whole
        # sentence again per fragment made "Mr. A " * n cost n squared.
        last = groups[-1][-1] if groups else ""
        if groups and lx.ABBREVIATION_END.search(last, max(0, len(last) - ABBREVIATION_SPAN)):
            groups[-1].append(piece)
        elif piece and piece.strip():
            groups.append([piece])
    out: list[str] = []
    for group in groups:
        piece = " ".join(" ".join(group).split())
        while len(piece) > MAX_SENTENCE:  # bound the work on run-on "sentences"
            cut = max(piece.rfind(sep, 0, MAX_SENTENCE) for sep in ("; ", ", ", " "))
            cut = cut if cut > 0 else MAX_SENTENCE
            out.append(piece[:cut].strip())
            piece = piece[cut:].lstrip(";, ")
        if piece:
            out.append(piece)
    return [p for p in out if p]


def _normalise(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw).translate(lx.CHAR_MAP)
    if s.isascii():
        return s
    s = "".join(
        str(unicodedata.decimal(c))
        if ord(c) > 127 and unicodedata.decimal(c, None) is not None
        else c
        for c in s
    )
    return _urdu_as_english(s) if is_urdu(s) else s


def is_urdu(text: str) -> bool:
    """True when the text is written in Urdu (Arabic script)."""
    return lx.URDU_SCRIPT.search(text) is not None


# ---- Urdu ------------------------------------------------------------------------------------
def _urdu_as_english(s: str) -> str:
    """Rewrite Urdu number words, months, counts and phrases in the English the parser reads."""
    s = s.translate(lx.URDU_LETTERS)
    s = lx.URDU_YEAR_MARK.sub(r"\1 ", lx.URDU_POINT_SPELLINGS.sub(lx.URDU_POINT, s))
    s = lx.URDU_MONTH.sub(lambda m: f" {lx.URDU_MONTHS[m.group(1)]} ", s)
    s = lx.URDU_REVERSED_FY.sub(_unreverse_fy, s)
    s = lx.URDU_NUMBER_RUN.sub(lambda m: _urdu_number_run(m, s), s)
    s = lx.URDU_QUARTER.sub(_urdu_quarter, s)
    s = lx.URDU_COUNT.sub(_urdu_count, s)
    for pattern, english in lx.URDU_PHRASES:
        s = pattern.sub(english, s)
    return lx.URDU_MONTH_RANGE.sub(r"\1\2 to \3", s)


def _unreverse_fy(m: re.Match[str]) -> str:
    """'24-2023' (typed right to left) is the fiscal year 2023-24."""
    short, year = m.group(1), int(m.group(2))
    return f"{year}-{short}" if (year + 1) % 100 == int(short) else m.group(0)


def _urdu_number_run(m: re.Match[str], s: str) -> str:
    """Digits for number words before a unit ("اکیاسی کروڑ" -> "81 کروڑ"), else the words."""
    tokens = m.group(0).split()
    words = any(not t[0].isdigit() for t in tokens)
    value = _urdu_number(tokens) if words else None
    if value is None:
        return m.group(0)
    after = s[m.end() : m.end() + 12]
    count = value.is_integer() and 1 <= value <= 24 and lx.URDU_COUNT_UNIT.match(after)
    if not (lx.URDU_NUMBER_UNIT.match(after) or count):
        return m.group(0)
    return " " + format(value, ".6f").rstrip("0").rstrip(".") + " "


def _urdu_number(tokens: list[str]) -> float | None:
    """'ایک عشاریہ چار چار' -> 1.44, 'ساڑھے تین' -> 3.5, 'دو سو پچاس' -> 250; None if unclear."""
    if lx.URDU_POINT in tokens:
        point = tokens.index(lx.URDU_POINT)
        digits = [_urdu_digits(t) for t in tokens[point + 1 :]]
        if not digits or None in digits:
            return None
        whole = _urdu_whole(tokens[:point])
        return None if whole is None else whole + float("0." + "".join(map(str, digits)))
    return _urdu_whole(tokens)


def _urdu_digits(token: str) -> str | None:
    if token.isdigit():
        return token
    n = lx.URDU_NUMBERS.get(token)
    return str(n) if n is not None and n <= 9 else None


def _urdu_whole(tokens: list[str]) -> float | None:
    if not tokens:
        return None
    if tokens[0] in lx.URDU_FRACTIONS and len(tokens) > 1:
        rest = _urdu_whole(tokens[1:])
        return None if rest is None or rest < 1 else rest + lx.URDU_FRACTIONS[tokens[0]]
    if tokens[0] in lx.URDU_HALVES:
        half = lx.URDU_HALVES[tokens[0]]
        if len(tokens) == 1:
            return half
        return half * 100 if tokens[1:] == [lx.URDU_HUNDRED] else None  # "ڈیڑھ سو"
    values = [_urdu_small(t) for t in tokens]
    if lx.URDU_HUNDRED not in tokens:
        return float(values[0]) if len(values) == 1 and values[0] is not None else None
    at = tokens.index(lx.URDU_HUNDRED)
    head, tail = values[:at], values[at + 1 :]
    if len(head) > 1 or len(tail) > 1 or None in head or None in tail:
        return None
    hundreds = head[0] if head and head[0] is not None else 1
    return float(hundreds * 100 + (tail[0] if tail and tail[0] is not None else 0))


def _urdu_small(token: str) -> int | None:
    """1-99 from a word or digits."""
    if token.isdigit():
        return int(token) if 0 < int(token) < 100 else None
    return lx.URDU_NUMBERS.get(token)


def _urdu_quarter(m: re.Match[str]) -> str:
    unit = "half" if "شش" in m.group("unit") else "quarter"
    return f" {lx.URDU_ORDINALS[m.group('ord')]} {unit} "


def _urdu_count(m: re.Match[str]) -> str:
    first = "first " if m.group("first") else ""
    if m.group("n"):
        return f" {first}{m.group('n')} months "
    return " first month " if first else m.group(0)


# ---- values ----------------------------------------------------------------------------------
def _values(s: str) -> list[_Value]:
    taken = bytearray(len(s) + 1)
    out: list[_Value] = []

    def add(start: int, end: int, value: _Value | None) -> None:
        if value is not None and not any(taken[start:end]):
            taken[start:end] = b"\1" * (end - start)
            out.append(value)

    for m in lx.MONEY_COMPOUND.finditer(s):
        parts = lx.COMPOUND_PART.findall(m.group("parts"))
        total = sum(float(n) * lx.UNITS[u.lower()] for n, u in parts)
        add(m.start(), m.end(), _Value(m.start(), m.end(), False, round(total, 6)))
    for m in lx.MONEY_CUR_FIRST.finditer(s):
        if m.group("r") == "to" and lx.FROM_BEFORE.search(s[max(0, m.start() - 8) : m.start()]):
            continue  # "from $2.1 to $2.5 billion" is a change, not a range
        add(m.start(), m.end(), _money(m, m.start(), m.end()))
    for m in lx.MONEY_UNIT_FIRST.finditer(s):
        add(m.start(), m.end(), _money(m, m.start(), m.end()))
    for m in lx.MONEY_IMPLIED.finditer(s):
        rupees = lx.RUPEE_NEAR.search(s[max(0, m.start() - 40) : m.start()])
        if out and not rupees:  # only once the sentence has a real US$ amount
            add(m.start("n"), m.end("u"), _money(m, m.start("n"), m.end("u")))
    for m in lx.PCT.finditer(s):
        if any(taken[m.start() : m.end()]):
            continue
        ranged = bool(lx.PCT_RANGE_BEFORE.search(s[max(0, m.start() - 8) : m.start()]))
        pct = _Value(m.start(), m.end(), True, float(m.group("n")), ranged, m.group("sign") or "")
        add(m.start(), m.end(), pct)
    return sorted(out, key=lambda v: v.start)


def _money(m: re.Match[str], start: int, end: int) -> _Value | None:
    unit = (m.group("u") or "").lower()
    number = float(m.group("n").replace(",", ""))
    if unit:
        value = number * lx.UNITS[unit]
    elif "," in m.group("n") and number >= 1e6:
        value = number / 1e6  # "$2,593,000,000"
    else:
        return None  # "$310" without a unit is not a figure we can trust
    if not math.isfinite(value):
        return None
    ranged = "hi" in m.re.groupindex and m.group("hi") is not None
    return _Value(start, end, False, round(value, 6), ranged)


# ---- assigning periods to values -------------------------------------------------------------
def _masked(s: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """``s[start:end]`` with each of ``spans`` inside it replaced by the mask character."""
    out, pos = [], start
    for first, last in sorted(spans):
        if start <= first and last <= end and first >= pos:
            out += [s[pos:first], lx.MASK]
            pos = last
    out.append(s[pos:end])
    return "".join(out)


def _gap_core(gap: str) -> str:
    """The gap without its growth clauses ("up 9% year-on-year and 4% month-on-month")."""
    if lx.MASK not in gap:
        return gap
    return ",".join(piece for piece in lx.GAP_PIECE.split(gap) if not _growth_piece(piece))


def _growth_piece(piece: str) -> bool:
    if lx.MASK not in piece or lx.GROWTH_PIECE_BLOCK.search(piece):
        return False  # "while inflation was 17% in April" still separates
    return len(lx.GROWTH_FILLER.sub("", piece)) <= 30


def _direct_after(
    s: str, pos: int, limit: int, periods: list[Period], values: list[_Value]
) -> Period | None:
    """The period right after ``pos`` when only connecting words stand between.

    Growth clauses may stand between too, with their own comparison periods ("$342 million, up
    12% from February, in March 2025").
    """
    pcts = [(v.start, v.end) for v in values if v.is_pct and pos <= v.start]
    skipped: list[tuple[int, int]] = []
    for p in periods:
        if p.start < pos:
            continue
        if p.start >= limit or p.start - pos > MAX_GAP:
            return None
        if _cmp_introduced(s, p) or p.rel is not None:
            if any(first < p.start for first, _ in pcts):
                skipped.append((p.start, p.end))  # "up 12% from February": the rate's own
                continue
            return None if _cmp_introduced(s, p) else _plain_gap(s, pos, p, pcts + skipped)
        return _plain_gap(s, pos, p, pcts + skipped)
    return None


def _plain_gap(s: str, pos: int, p: Period, masks: list[tuple[int, int]]) -> Period | None:
    gap = _gap_core(_masked(s, pos, p.start, masks))
    return p if len(gap) <= 60 and not lx.GAP_BLOCK.search(gap) else None


def _labels_next(s: str, m: _Value, after: Period, limit: int, periods: list[Period]) -> bool:
    """In a list of 'period amount' pairs, the period after an amount labels the next amount."""
    label = lx.TIGHT_LABEL
    own = any(p.end <= m.start and label.match(s[p.end : m.start]) for p in periods)
    return own and limit < len(s) and bool(label.match(s[after.end : limit]))


def _cmp_introduced(s: str, p: Period) -> bool:
    if lx.URDU_COMPARED_AFTER.match(s[p.end : p.end + 20]):
        return True  # Urdu "دسمبر کے مقابلے میں": compared with December
    cue = lx.CMP_BEFORE_PERIOD.search(s[max(0, p.start - 40) : p.start])
    if cue is None or not s[: max(0, p.start - 40) + cue.start()].strip():
        return False  # "Over July-January, ...": nothing before it to compare with
    from_to = lx.RANGE_WORD.search(s[p.start : p.end])
    return not (cue.group(0).lower().startswith("from") and from_to)  # "From July to April"


def _before(s: str, pos: int, periods: list[Period], claimed: set[int]) -> Period | None:
    """Nearest earlier period that is not a comparator's own."""
    for p in reversed(periods):
        if p.end <= pos and id(p) not in claimed and not _cmp_introduced(s, p):
            return p
    return None


def _comparator(s: str, m: _Value, prev_end: int, periods: list[Period], prev_cmp: bool) -> int:
    """Position after the comparison word when ``m`` is a comparator, else -1."""
    if lx.URDU_COMPARED_AFTER.match(s[m.end : m.end + 20]):
        return prev_end  # Urdu "... 29 کروڑ ڈالر کے مقابلے میں": the cue follows the amount
    pre = s[prev_end : m.start]
    cue = _last(lx.CMP_CUE, pre)
    if cue is not None:
        cue_end = prev_end + cue.end()
        inside = [p for p in periods if cue_end <= p.start and p.end <= m.start]
        if inside:
            if lx.AFTER_CMP_PERIOD.match(s[inside[-1].end : m.start]):
                return cue_end
        else:
            tail = s[cue_end : m.start]
            limit = 12 if cue.group(0).lower() == "from" else 40
            plain = not lx.RESET.search(tail) and not lx.CLAUSE_BREAK.search(tail)
            if len(tail) <= limit and plain:
                return cue_end
    if prev_cmp:
        masked, pos = [], prev_end
        for p in periods:
            if prev_end <= p.start and p.end <= m.start:
                masked += [s[pos : p.start], "P"]
                pos = p.end
        if lx.AND_CHAIN.match("".join([*masked, s[pos : m.start]])):
            return m.start
    return -1


def _cue_kind(kpre: str) -> str | None:
    """'target' or 'projection' from the nearest such word, unless an outcome verb follows it."""
    best: tuple[int, str] | None = None
    for kind, regex in (("target", lx.TARGET_CUE), ("projection", lx.PROJ_CUE)):
        for m in regex.finditer(kpre):
            if best is None or m.start() > best[0]:
                best = (m.start(), kind)
    if best is None or lx.RESET.search(kpre[best[0] :]):
        return None
    return best[1]


def _last(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(regex.finditer(text))
    return matches[-1] if matches else None


def _clause(text: str) -> str:
    """The text after the last clause break ("while", ";", "but")."""
    last = _last(lx.CLAUSE_BREAK, text)
    return text[last.end() :] if last else text


def _money_kind(
    s: str, m: _Value, prev_money_end: int, prev_value_end: int, nxt: int, urdu: bool
) -> str:
    kpre = _clause(s[prev_money_end : m.start][-160:])
    post = s[m.end : nxt][:60]
    near = s[prev_value_end : m.start][-40:]
    if lx.DELTA_PRE.search(near) or lx.DELTA_POST.match(post):
        return "other"  # a change ("an increase of $458 million"), not a level
    if lx.TARGET_POST.match(post) or (urdu and lx.URDU_TARGET_POST.match(post)):
        return "target"  # "$5 billion target", Urdu "5 ارب ڈالر کا ہدف"
    cue = _cue_kind(kpre)
    if urdu and cue is None and lx.URDU_PROJECTION_POST.match(post):
        cue = "projection"  # Urdu puts the verb last: "... تک پہنچ جائیں گی"
    if cue != "projection" and lx.TARGET_HORIZON_POST.match(post):
        return "target"  # "$10 billion by 2029", "$15 billion in five years"
    threshold = (
        lx.THRESHOLD_PRE.search(near)
        or lx.THRESHOLD_POST.match(post)
        or lx.THRESHOLD_VERB.search(near)
        or (urdu and lx.URDU_THRESHOLD_POST.match(post))
    )
    if threshold:  # "the first month above $400 million", "the $3 billion mark", "topping"
        return cue or "other"
    if cue:
        return cue
    if m.is_range:
        return "projection"
    return "other" if lx.OTHER_CUE.search(kpre[-80:]) else "amount"


def _nearest(v: _Value, candidates: list[_Value]) -> _Value | None:
    def distance(c: _Value) -> int:
        return v.start - c.end if c.end <= v.start else c.start - v.end

    return min(candidates, key=distance, default=None)


def _assign_money(
    s: str,
    values: list[_Value],
    periods: list[Period],
    pub: Month | None,
    urdu: bool,
    unresolved: list[str],
) -> set[int]:
    """Give each amount its span, kind and comparison flag; returns ids of comparator periods.

    Adds to ``unresolved`` the period phrases of amounts that only a publication date can name.
    """
    monies = [v for v in values if not v.is_pct]
    found: list[tuple[Period | None, str]] = []
    claimed: set[int] = set()
    for k, m in enumerate(monies):
        prev_end = monies[k - 1].end if k else 0
        limit = monies[k + 1].start if k + 1 < len(monies) else len(s)
        cue_end = _comparator(s, m, prev_end, periods, k > 0 and monies[k - 1].cmp)
        before = [v for v in values if v.end <= m.start]
        after_pct = before and before[-1].is_pct and before[-1].end >= prev_end
        if cue_end < 0 and after_pct and lx.AFTER_PCT_CMP.match(s[before[-1].end : m.start]):
            cue_end = m.start  # "growth of 24% over $2.6 billion"
        m.cmp = cue_end >= 0
        direct = _direct_after(s, m.end, limit, periods, values)
        if direct is not None and _labels_next(s, m, direct, limit, periods):
            direct = None  # "Oct-24 $330m (+39% YoY), 4MFY25 $1.21bn": 4MFY25 is the next one's
        if direct is not None and m.cmp:
            claimed.add(id(direct))
        if direct is None and m.cmp:
            tail = [p for p in periods if cue_end <= p.start and p.end <= m.start]
            found.append((tail[-1], "tail") if tail else (None, "default"))
        else:
            found.append((direct, "direct") if direct else (None, "before"))
        nxt = next((v.start for v in values if v.start >= m.end), len(s))
        m.kind = _money_kind(s, m, prev_end, before[-1].end if before else 0, nxt, urdu)
    for k, m in enumerate(monies):
        p, how = found[k]
        if how == "before":
            p = _before(s, m.start, periods, claimed)
            if (
                p is not None
                and m.kind == "target"
                and k
                and _owned(p, monies[k - 1], found[k - 1])
            ):
                p = None  # "$3.8bn in FY25 and the target for this year is $5bn": FY25's

            found[k] = (p, how)
        if p is not None and (p.rel is not None or p.rel_fy is not None):
            m.cmp = True
        if not m.cmp and p is not None:
            m.span = p.span
            single = m.span is not None and m.span[0] == m.span[1]
            cumulative = lx.CUMULATIVE.search(s[max(0, m.start - 80) : m.start])
            if how == "before" and single and cumulative and m.span is not None:
                last = m.span[1]  # "bringing the cumulative total to": fiscal year to date
                m.span = (fiscal_year_start(last.fiscal_year), last)
        if m.kind in ("target", "projection"):
            if p is not None and p.whole_fy and p.span is None and pub is not None:
                m.span = shape_span(("fy", 0, 0), "fy", pub.fiscal_year)  # "for the current FY"
            by = lx.BY_YEAR.search(s[m.end : m.end + 40])
            if by is not None:  # "$10 billion by 2029": Pakistan's targets are fiscal years
                pair = by.group("a") or by.group("b")  # "by FY2029-30" ends in 2030
                fy = int(pair) + 1 if pair else int(by.group("fy") or by.group("y"))
                m.span = shape_span(("fy", 0, 0), "fy", fy if fy > 100 else two_digit(fy))
    _comparator_spans(s, monies, [p for p, _ in found])
    for m, (p, _) in zip(monies, found, strict=True):
        needs_date = p is not None and p.span is None and p.anchor in ("month", "fy", "pub")
        if pub is None and m.span is None and needs_date and p is not None and p.needs:
            unresolved.append(s[p.start : p.end].strip().rstrip("."))
    return claimed


def _owned(p: Period, previous: _Value, its: tuple[Period | None, str]) -> bool:
    """The period stands before the previous amount or is that amount's own."""
    return previous.start > p.end or its[0] is p


def _comparator_spans(s: str, monies: list[_Value], own: list[Period | None]) -> None:
    """Name the period of each comparator from its own phrase or from the nearest main figure."""
    mains = [m for m in monies if not m.cmp and m.span is not None]
    for m, p in zip(monies, own, strict=True):
        if not m.cmp:
            continue
        base = _nearest(m, [b for b in mains if b.end <= m.start] or mains)
        if m.kind in ("target", "projection"):  # "compared with an annual target of $3.5bn"
            m.cmp = False
            if m.span is None:
                named = p.span if p is not None and p.rel is None else None
                m.span = named or (base.span if base is not None else None)
            continue
        if p is not None and p.cmp_rel is not None and base is not None and base.span:
            m.span = (base.span[0].shift(p.cmp_rel), base.span[1].shift(p.cmp_rel))
        elif p is not None and p.rel is None and p.rel_fy is None:
            m.span = p.span
            if m.span is None and p.needs is not None and base is not None and base.span:
                m.span = p.needs(base.span[1])  # "November's $310 million" next to December 2024
        elif base is not None and base.span is not None:
            m.span = _comparator_span(s, p, base.span)
        elif p is not None and p.rel == -1 and p.needs is not None:  # "last month" on its own
            m.span, m.cmp = p.span, False
        if base is not None and base.kind == "other" and m.kind == "amount":
            m.kind = "other"
        if base is not None and base.span is not None and m.span == base.span:
            m.span, m.note = _corrected(s, base.span), "period corrected"


def _corrected(s: str, base: Span) -> Span | None:
    """The prior period for a comparison that repeats the main figure's period by mistake."""
    if lx.REVISION.search(s):
        return None  # "revised from $330 million": the same period, an earlier vintage
    single_mom = base[0] == base[1] and lx.MOM_WORDS.search(s) and not lx.YOY_WORDS.search(s)
    shift = -1 if single_mom else -12
    return base[0].shift(shift), base[1].shift(shift)


def _comparator_span(s: str, p: Period | None, base: Span) -> Span | None:
    if p is not None and p.rel_fy is not None:
        shift = (p.rel_fy - base[1].fiscal_year) * 12
    elif p is not None and p.rel is not None:
        shift = p.rel
    elif base[0] != base[1]:
        shift = -12  # ranges are compared with the same months a year earlier
    elif lx.MOM_WORDS.search(s):
        shift = -1
    elif lx.YOY_WORDS.search(s):
        shift = -12
    else:
        return None  # a bare month compared with an unnamed period: ambiguous
    return base[0].shift(shift), base[1].shift(shift)


# ---- growth rates ----------------------------------------------------------------------------
def _pct_fact(
    s: str, v: _Value, values: list[_Value], periods: list[Period], claimed: set[int]
) -> tuple[Span, str, float] | None:
    k = values.index(v)
    prev_end = values[k - 1].end if k else 0
    nxt = values[k + 1].start if k + 1 < len(values) else len(s)
    ppre, post = s[prev_end : v.start][-80:], s[v.end : nxt][:60]
    if v.is_range or lx.PCT_OF.match(post) or lx.PCT_SHARE.search(ppre[-40:]):
        return None
    cues = [(len(ppre[-50:]) - c.end(), c) for c in lx.GROWTH_CUE.finditer(ppre[-50:])]
    cues += [(c.start(), c) for c in lx.GROWTH_CUE.finditer(post[:40])]
    kpre = _clause(ppre)
    if not (cues or v.sign) or _cue_kind(kpre) or lx.OTHER_CUE.search(kpre[-60:]):
        return None
    if lx.PCT_OTHER_SUBJECT.search(kpre[-60:]):
        return None  # inflation, GDP, the rupee, subscriber counts
    monies = [m for m in values if not m.is_pct]
    limit = next((m.start for m in monies if m.start >= v.end), len(s))
    direct = _direct_after(s, v.end, limit, periods, values)
    span: Span | None = None
    bracketed = values[k - 1] if k and lx.PCT_BRACKET.match(s[prev_end : v.start]) else None
    if bracketed is not None and not bracketed.is_pct and not bracketed.cmp and bracketed.span:
        if bracketed.kind != "amount":
            return None
        span = bracketed.span  # "$330m (+39% YoY)": the rate of the figure it follows
    elif direct is not None and direct.rel is None and direct.rel_fy is None:
        span = direct.span
    else:
        main = _nearest(v, [m for m in monies if not m.cmp and m.span is not None])
        if main is not None:
            if main.kind != "amount":
                return None  # growth of a target, a net figure or a wider aggregate
            span = main.span
        else:
            before = _before(s, v.start, periods, claimed)
            span = before.span if before is not None and before.rel is None else None
    if span is None:
        return None
    kind = _growth_kind(s, v, cues, periods, span, nxt)
    value = v.value
    signs = sorted(((d, c) for d, c in cues if c.group("neg") or c.group("pos")), key=_first)
    if v.sign == "-" or (not v.sign and signs and signs[0][1].group("neg")):
        value = -value
    return span, kind, value


def _first(item: tuple[int, re.Match[str]]) -> int:
    return item[0]


def _growth_kind(
    s: str,
    v: _Value,
    cues: list[tuple[int, re.Match[str]]],
    periods: list[Period],
    span: Span,
    nxt: int,
) -> str:
    named = sorted(((d, c) for d, c in cues if c.group("mom") or c.group("yoy")), key=_first)
    if named:
        return "mom_pct" if named[0][1].group("mom") else "yoy_pct"
    for p in periods:  # "... compared to March": the compared period decides
        if v.end <= p.start < nxt and _cmp_introduced(s, p):
            if p.rel is not None:
                return "mom_pct" if p.rel == -1 else "yoy_pct"
            if p.end_moy is not None and span[0] == span[1]:
                return "mom_pct" if (span[1].month - p.end_moy) % 12 == 1 else "yoy_pct"
    return "yoy_pct"


# ---- assembling facts ------------------------------------------------------------------------
def _valid(span: Span | None) -> bool:
    if span is None:
        return False
    first, last = span
    years_ok = MIN_YEAR <= first.year <= MAX_YEAR and MIN_YEAR <= last.year <= MAX_YEAR
    return years_ok and 0 <= last.index - first.index < 12


def _amount_suspect(span: Span, value: float) -> str | None:
    if span[1].year not in SANE_YEARS:
        return None
    months = span[1].index - span[0].index + 1
    low, high = SANE_MONTHLY
    if not low <= value / months <= high:
        what = "monthly value" if months == 1 else f"per-month average over {months} months"
        return f"{what} {value / months:g} outside {low:g}-{high:g} US$ m"
    return None


def _sentence_facts(raw: str, pub: Month | None, unresolved: list[str]) -> list[Fact]:
    s = _normalise(raw)
    values = _values(s)
    if not values:
        return []
    urdu = is_urdu(raw)
    lang = "ur" if urdu else "en"
    periods = find_periods(s, [(v.start, v.end) for v in values])
    resolve(periods, pub, survey_fy(s, pub))
    claimed = _assign_money(s, values, periods, pub, urdu, unresolved)
    facts: list[Fact] = []
    for v in values:
        if not v.is_pct:
            if not _valid(v.span) or v.span is None:
                continue
            kind = v.kind
            if kind == "amount" and pub is not None and v.span[1] > pub:
                kind = "projection"  # a period that has not ended cannot have data yet
            suspect = _amount_suspect(v.span, v.value) if kind == "amount" else None
            facts.append(Fact(*v.span, kind, v.value, None, raw, v.cmp, suspect, lang, v.note))
            continue
        found = _pct_fact(s, v, values, periods, claimed)
        if found is None or not _valid(found[0]):
            continue
        span, kind, value = found
        limit = 100.0 if kind == "yoy_pct" else 60.0
        suspect = f"growth {value:g}% outside +-{limit:g}%" if abs(value) > limit else None
        facts.append(Fact(*span, kind, None, value, raw, False, suspect, lang))
    return facts
