"""Period phrases in prose ("Jul-Apr FY24", "10MFY24", "the same period last year") as months."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from itx_scraper.core.periods import Month, fiscal_year_start, month_number
from itx_scraper.extract import lexicon as lx

Span = tuple[Month, Month]
# ('month', m, m) | ('range', m1, m2) | ('count', n, 0) | ('q', n, size) | ('fy', 0, 0)
Shape = tuple[str, int, int]


@dataclass
class Period:
    """A period phrase: fixed months, a resolver needing a reference month, or a shift."""

    start: int
    end: int
    fixed: Span | None = None
    needs: Callable[[Month], Span | None] | None = None
    anchor: str = "none"  # which reference 'needs' accepts without a publication date
    rel: int | None = None  # months relative to the main period ("same period last year": -12)
    rel_fy: int | None = None  # "the corresponding period of FY23"
    end_moy: int | None = None
    whole_fy: bool = False
    cmp_rel: int | None = None  # shift when a comparator names it ("the previous fiscal year's")
    span: Span | None = None


@dataclass
class _Atom:
    """One lexed word group; the combiner joins atoms into periods."""

    kind: str  # ignore rel fy cy curfy count qtr mon y4
    start: int
    end: int
    n: int = 0  # fiscal year, year, month, count, quarter number, shift or offset
    size: int = 0  # quarter/half length; 1 = capitalised month, worded 'curfy', 'last month'
    year: int | None = None  # a month's own year ("Sep-25")
    ok: bool = True
    text: str = ""
    flag: str = ""  # 'ending' ("the quarter ended"), 'explicit_fy' ("last quarter" needs a FY)


_ATOM_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fy", lx.FY_ENDING),
    ("ignore", lx.DAYDATE),
    ("rel", lx.REL),
    ("fy", lx.FY_SHORT),
    ("fy", lx.FY_LONG),
    ("cy", lx.CY),
    ("curfy", lx.CURFY),
    ("fy", lx.YEARPAIR),
    ("count", lx.COUNT),
    ("qtr", lx.QTR),
    ("mon", lx.MON),
    ("y4", lx.Y4),
)


def two_digit(yy: int) -> int:
    """Century for a two-digit year: 24 -> 2024, 99 -> 1999."""
    return 2000 + yy if yy <= 50 else 1900 + yy


def _fy_number(m: re.Match[str]) -> int | None:
    groups = m.groupdict()
    if groups.get("a"):
        first, second = int(groups["a"]), int(groups["b"])
        return first + 1 if (first + 1) % 100 == second % 100 else None
    if groups.get("c"):
        return int(groups["c"])
    if groups.get("d"):
        first, second = int(groups["d"]), int(groups["e"])
        return two_digit(second) if (first + 1) % 100 == second else None
    return two_digit(int(groups["f"])) if groups.get("f") else None


def _atom(kind: str, m: re.Match[str], s: str) -> _Atom | None:
    a = _Atom(kind, m.start(), m.end(), text=m.group(0))
    g = m.groupdict()
    if kind == "rel":
        low = m.group(0).lower()
        a.n = -1 if "month" in low and not re.search("same|corresponding|similar", low) else -12
        a.size = 1 if re.search(r"\blast\s+month", low) else 0
    elif kind == "fy":
        fy = _fy_number(m)
        if fy is None and m.re is lx.YEARPAIR:
            return None  # "2024-05" is not a fiscal year
        a.n, a.ok = fy or 0, fy is not None
    elif kind == "cy":
        a.n = int(g["y"]) if len(g["y"]) == 4 else two_digit(int(g["y"]))
    elif kind == "curfy":
        a.n = lx.CURFY_OFFSET.get((g["w"] or g["w2"] or "").lower(), 0)
        a.size = 1 if (g["w"] or g["w2"]) else 0
    elif kind == "count":
        word = (g["n"] or g["n2"] or "1").lower()
        a.n = int(word) if word.isdigit() else lx.NUMBER_WORDS[word]
        a.ok = 1 <= a.n <= 12 and (g["pre"] or "").lower() not in ("past", "last", "preceding")
        a.flag = "single" if g["one"] else ""  # "the first month": only with a fiscal year
    elif kind == "qtr":
        if g["ending"]:
            a.size, a.n, a.flag = (3 if g["ending"].lower() == "quarter" else 6), 1, "ending"
        elif g["ord"]:
            a.size = 3 if g["unit"].lower() == "quarter" else 6
            a.n = lx.ORDINALS.get(g["ord"].lower(), 0) or (4 if a.size == 3 else 2)
            a.flag = "explicit_fy" if g["ord"].lower() in ("final", "last") else ""
        else:
            a.size = 3 if (g["q1"] or g["q2"]) else 6
            a.n = int(g["q1"] or g["q2"] or g["h1"] or g["h2"])
        a.ok = a.n <= 12 // a.size
    elif kind == "mon":
        a.n = month_number(g["m"]) or 0
        a.year = two_digit(int(g["yy"])) if g["yy"] else None
        a.ok = a.n > 0
        capital = m.group(0)[0].isupper()
        if a.n == 5 and not capital and a.year is None:
            return None  # "may" the verb
        # A bare month must be capitalised; "May" also needs a preposition before it.
        may_ok = a.n != 5 or bool(
            lx.MAY_PREP.search(s[max(0, m.start() - 12) : m.start()])
            or lx.MAY_HEADLINE.match(s[m.end() : m.end() + 12])
            or lx.URDU_AFTER.match(s[m.end() : m.end() + 3])  # Urdu "مئی میں"
        )
        a.size = 1 if capital and may_ok else 0
    elif kind == "y4":
        a.n = int(g["y"])
    return a


def _atoms(s: str, taken: bytearray) -> list[_Atom]:
    atoms: list[_Atom] = []
    for kind, regex in _ATOM_RES:
        for m in regex.finditer(s):
            if m.end() > m.start() and not any(taken[m.start() : m.end()]):
                a = _atom(kind, m, s)
                if a is not None:
                    taken[m.start() : m.end()] = b"\1" * (m.end() - m.start())
                    atoms.append(a)
    return sorted(atoms, key=lambda a: a.start)


def _glue(s: str, a: _Atom, b: _Atom) -> str:
    return " ".join(re.sub(r"[()\[\],]", " ", s[a.end : b.start]).split()).lower()


def _fy_month(moy: int, fy: int) -> Month:
    return Month(fy - 1 if moy >= 7 else fy, moy)


def shape_span(shape: Shape, kind: str, year: int) -> Span | None:
    """Months of a shape in fiscal year ``year`` (kind 'fy') or calendar year ('cal')."""
    tag, x, y = shape
    if tag in ("month", "range"):
        if kind == "fy":
            first, last = _fy_month(x, year), _fy_month(y, year)
            return (first, last) if first <= last else None
        last = Month(year, y)
        return last.shift(-((y - x) % 12)), last
    if tag == "count":
        first = fiscal_year_start(year) if kind == "fy" else Month(year, 1)
        return first, first.shift(x - 1)
    if tag == "q":
        first = (fiscal_year_start(year) if kind == "fy" else Month(year, 1)).shift(y * (x - 1))
        return first, first.shift(y - 1)
    first = fiscal_year_start(year)  # 'fy'
    return first, first.shift(11)


def _latest(moy: int, ref: Month) -> Month:
    return Month(ref.year if moy <= ref.month else ref.year - 1, moy)


def _period(start: int, end: int, shape: Shape, spec: tuple[str, int] | None) -> Period:
    """Build a period from a shape and a year spec ('fy', n) / ('cal', y) / ('cur', offset)."""
    p = Period(start, end, end_moy=shape[2] if shape[0] in ("month", "range") else None)
    if spec is None:
        if shape[0] in ("month", "range"):
            moy_first, moy_last = shape[1], shape[2]

            def latest(ref: Month) -> Span:
                last = _latest(moy_last, ref)
                return last.shift(-((moy_last - moy_first) % 12)), last

            p.needs, p.anchor = latest, "month"
        elif shape[0] == "count":
            return _period(start, end, shape, ("cur", 0))
        return p
    kind, number = spec
    if kind == "bad":
        return p
    if kind == "cur":

        def current(ref: Month) -> Span | None:
            span = shape_span(shape, "fy", ref.fiscal_year + number)
            if number == 0 and span is not None and span[1] > ref:
                span = shape_span(shape, "fy", ref.fiscal_year - 1)
            return span

        p.needs, p.anchor = current, "fy"
    else:
        p.fixed = shape_span(shape, kind, number)
    return p


def _spec(s: str, atoms: list[_Atom], i: int, j: int) -> tuple[str, int] | None:
    """Year spec at atom j when it is joined to atom i by 'of', 'in', ',' or nothing."""
    if j >= len(atoms) or not lx.OF_GLUE.match(_glue(s, atoms[i], atoms[j])):
        return None
    b = atoms[j]
    if b.kind == "fy":
        return ("fy", b.n) if b.ok else ("bad", 0)
    if b.kind == "curfy":
        return ("cur", b.n)
    if b.kind in ("y4", "cy"):
        return ("cal", b.n)
    return None


def _year_next(s: str, atoms: list[_Atom], k: int) -> bool:
    """A four-digit year right after atom k ("April 2024", "July-2024")."""
    if k + 1 >= len(atoms):
        return False
    return atoms[k + 1].kind == "y4" and _glue(s, atoms[k], atoms[k + 1]) in ("", "of", "-")


def _months_shape(s: str, atoms: list[_Atom], i: int) -> tuple[int, Shape, int | None, int | None]:
    """Parse 'Jul[ 2023][-Apr[ 2024]]'; returns last atom index, shape, first and last year."""
    first = atoms[i]
    y1, k = first.year, i
    if y1 is None and _year_next(s, atoms, k):
        y1, k = atoms[k + 1].n, k + 1
    if k + 1 < len(atoms) and atoms[k + 1].kind == "mon" and atoms[k + 1].ok:
        glue = _glue(s, atoms[k], atoms[k + 1])
        between = lx.BETWEEN_BEFORE.search(s[max(0, first.start - 12) : first.start])
        if lx.RANGE_GLUE.match(glue) and (glue != "and" or between):
            last = atoms[k + 1]
            y2, k = last.year, k + 1
            if y2 is None and _year_next(s, atoms, k):
                y2, k = atoms[k + 1].n, k + 1
            return k, ("range", first.n, last.n), y1, y2
    return k, ("month", first.n, first.n), y1, y1


def _months_period(s: str, atoms: list[_Atom], i: int) -> tuple[Period | None, int]:
    k, shape, y1, y2 = _months_shape(s, atoms, i)
    start, end = atoms[i].start, atoms[k].end
    if y2 is not None:
        p = _period(start, end, shape, ("cal", y2))
        if y1 is not None and shape[0] == "range" and p.fixed:
            first = Month(y1, shape[1])
            p.fixed = (first, p.fixed[1]) if 0 <= p.fixed[1].index - first.index < 12 else None
        return p, k + 1
    if y1 is not None:  # "July 2023 to April"
        first = Month(y1, shape[1])
        return Period(start, end, (first, first.shift((shape[2] - shape[1]) % 12))), k + 1
    spec = _spec(s, atoms, k, k + 1)
    if spec is not None:
        return _period(start, atoms[k + 1].end, shape, spec), k + 2
    nxt = atoms[k + 1] if k + 1 < len(atoms) else None
    last_year = nxt is not None and nxt.n == -12 and "year" in nxt.text.lower()
    if shape[0] == "month" and last_year and _joined(s, atoms, k, "rel", lx.LAST_YEAR_GLUE):
        moy = shape[1]  # "April last year"
        p = Period(start, atoms[k + 1].end, anchor="month", end_moy=moy)
        p.needs = lambda ref: (Month(ref.year - 1, moy),) * 2  # the calendar year before
        return p, k + 2
    counted = any(_joined(s, atoms, k, kind, lx.EMPTY_GLUE) for kind in ("count", "qtr"))
    spec = _spec(s, atoms, k + 1, k + 2) if counted and shape[0] == "range" else None
    if spec is not None:  # "July-April (10MFY24)": trust the months, take the year
        return _period(start, atoms[k + 2].end, shape, spec), k + 3
    if shape[0] == "month" and not atoms[i].size:
        return None, k + 1  # lower-case bare month or "May" without a preposition
    return _period(start, end, shape, None), k + 1


def _joined(s: str, atoms: list[_Atom], k: int, kind: str, glue: re.Pattern[str]) -> bool:
    """Atom k+1 is of ``kind`` and the words between match ``glue``."""
    return (
        k + 1 < len(atoms)
        and atoms[k + 1].kind == kind
        and bool(glue.match(_glue(s, atoms[k], atoms[k + 1])))
    )


def _range_after(s: str, atoms: list[_Atom], k: int) -> tuple[int, Shape | None]:
    """A bare '(July-April)' right after atom k; returns its last atom index and shape."""
    if _joined(s, atoms, k, "mon", lx.RANGE_AFTER_FY_GLUE):
        k2, inner, y1, y2 = _months_shape(s, atoms, k + 1)
        if inner[0] == "range" and y1 is None and y2 is None:
            return k2, inner
    return k, None


def _span_period(s: str, atoms: list[_Atom], i: int) -> tuple[Period | None, int]:
    """COUNT or QTR with an optional '(July-April)' or '(H1)' and a year spec."""
    a = atoms[i]
    shape: Shape = ("count", a.n, 0) if a.kind == "count" else ("q", a.n, a.size)
    k = i
    length = a.n if a.kind == "count" else a.size
    if a.ok and _joined(s, atoms, i, "mon", lx.ENDING_GLUE):  # "nine months to March 2024"
        ending, nxt = _months_period(s, atoms, i + 1)
        if ending is not None and ending.fixed and ending.fixed[0] == ending.fixed[1]:
            final = ending.fixed[1]
            return Period(a.start, ending.end, (final.shift(1 - length), final)), nxt
    if a.flag == "ending":
        return Period(a.start, a.end), i + 1  # "the quarter ended" without a month
    same = k + 1 < len(atoms) and (atoms[k + 1].n, atoms[k + 1].size) == (a.n, a.size)
    if a.kind == "qtr" and same and _joined(s, atoms, k, "qtr", lx.EMPTY_GLUE):
        k += 1  # "first half (H1)"
    k, override = _range_after(s, atoms, k)
    spec = _spec(s, atoms, k, k + 1)
    last = k + 1 if spec else k
    if spec is not None and override is None:
        last, override = _range_after(s, atoms, last)  # "10MFY24 (July-April)"
    if spec is None and i > 0 and lx.OF_GLUE.match(_glue(s, atoms[i - 1], a)):
        before = atoms[i - 1]  # Urdu order and "FY24's first ten months": the year comes first
        if before.kind == "fy" and before.ok:
            spec = ("fy", before.n)
        elif before.kind == "curfy":
            spec = ("cur", before.n)
    end = atoms[last].end
    unnamed_quarter = spec is None or (a.flag == "explicit_fy" and spec[0] == "cur")
    if a.flag == "single" and spec is None:
        return None, i + 1  # "the first month above $400 million" names no period
    if not a.ok or (a.kind == "qtr" and unnamed_quarter):
        return Period(a.start, end), last + 1  # consumed, but no period can be named
    return _period(a.start, end, override or shape, spec), last + 1


def _fy_period(s: str, atoms: list[_Atom], i: int) -> tuple[Period | None, int]:
    a = atoms[i]
    if a.kind == "fy" and not a.ok:
        return Period(a.start, a.end), i + 1
    spec = ("fy", a.n) if a.kind == "fy" else ("cur", a.n)
    k, inner = _range_after(s, atoms, i)  # "FY25 (July-March)"
    if inner is not None:
        return _period(a.start, atoms[k].end, inner, spec), k + 1
    if _joined(s, atoms, i, "count", lx.OF_GLUE) or _joined(s, atoms, i, "qtr", lx.OF_GLUE):
        return None, i + 1  # the count or quarter after it takes this year
    if a.kind == "fy":
        return Period(a.start, a.end, shape_span(("fy", 0, 0), "fy", a.n), whole_fy=True), i + 1
    p = Period(a.start, a.end, whole_fy=True)
    if a.size and a.n:  # "last fiscal year", "next fiscal year"
        offset = a.n
        p.cmp_rel = 12 * offset
        p.needs = lambda ref: shape_span(("fy", 0, 0), "fy", ref.fiscal_year + offset)
        p.anchor = "fy"
    elif not a.n:  # "the current fiscal year": to date, only next to an explicit month
        p.needs, p.anchor = (lambda ref: (fiscal_year_start(ref.fiscal_year), ref)), "explicit"
    return p, i + 1


def _combine(s: str, atoms: list[_Atom]) -> list[Period]:
    out: list[Period] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        p: Period | None = None
        nxt = i + 1
        if a.kind == "mon" and a.ok:
            p, nxt = _months_period(s, atoms, i)
        elif a.kind in ("count", "qtr"):
            p, nxt = _span_period(s, atoms, i)
        elif a.kind in ("fy", "curfy"):
            p, nxt = _fy_period(s, atoms, i)
        elif a.kind == "cy":
            p = Period(a.start, a.end, (Month(a.n, 1), Month(a.n, 12)))
        elif a.kind == "rel" and _names_month(s, atoms, i):
            p = None  # "the previous month of August 2023": August 2023 is the period
        elif a.kind == "rel":
            p = Period(a.start, a.end, rel=a.n)
            spec = _spec(s, atoms, i, i + 1)
            if spec and spec[0] == "fy" and "year" not in a.text.lower():
                p.rel, p.rel_fy, p.end, nxt = None, spec[1], atoms[i + 1].end, i + 2
            if a.size:  # "last month" on its own means the month before publication
                p.needs, p.anchor = (lambda ref: (ref.shift(-1), ref.shift(-1))), "pub"
        while p is not None and nxt < len(atoms) and atoms[nxt].kind in ("qtr", "count"):
            extra = atoms[nxt]  # "Oct-Dec FY25 (Q2)": a restatement in brackets
            closed = s[extra.end : extra.end + 3].strip()[:1] == ")"
            if s[p.end : extra.start].strip() != "(" or not closed:
                break
            nxt += 1
        if p is not None:
            out.append(p)
        i = max(nxt, i + 1)
    return out


def _names_month(s: str, atoms: list[_Atom], i: int) -> bool:
    """'the previous month of August 2023': a relation followed by a month with its year."""
    if "month" not in atoms[i].text.lower() or not _joined(s, atoms, i, "mon", lx.OF_GLUE):
        return False
    month = atoms[i + 1]
    return month.year is not None or _year_next(s, atoms, i + 1)


def resolve(periods: list[Period], pub: Month | None, survey_fy: int | None) -> None:
    """Set ``span`` on every period that can be named with ``pub`` or the sentence's months."""
    for p in periods:
        p.span = p.fixed
    explicit = [p.span[1] for p in periods if p.span and p.span[0] == p.span[1]]
    for p in periods:
        if p.needs is None or p.span is not None:
            continue
        ref: Month | None = pub if p.anchor in ("month", "fy", "pub") else None
        if ref is None and p.anchor in ("month", "fy", "explicit"):
            same = [m for m in explicit if p.anchor != "month" or m.month == p.end_moy]
            ref = max(same) if same else None
        p.span = p.needs(ref) if ref is not None else None
    if survey_fy is not None:  # the Economic Survey's "fiscal year" is July-March
        full = shape_span(("fy", 0, 0), "fy", survey_fy)
        for p in periods:
            if p.whole_fy and (p.span == full or (p.span is None and p.anchor == "explicit")):
                p.span = (fiscal_year_start(survey_fy), Month(survey_fy, 3))


def survey_fy(s: str, pub: Month | None) -> int | None:
    """Fiscal year of an Economic Survey the sentence cites (its data run July-March)."""
    m = lx.SURVEY.search(s)
    if m is None:
        return None
    if m.group("a"):
        first, second = int(m.group("a")), int(m.group("b"))
        return first + 1 if (first + 1) % 100 == second % 100 else None
    return pub.fiscal_year if pub is not None else None


def find_periods(s: str, values: list[tuple[int, int]]) -> list[Period]:
    """Period phrases of a normalised sentence, skipping the spans of money and percentages."""
    taken = bytearray(len(s) + 1)
    for start, end in values:
        taken[start:end] = b"\1" * (end - start)
    return _combine(s, _atoms(s, taken))
