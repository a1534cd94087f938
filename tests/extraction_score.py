"""Score the prose extractor against the labelled sentences in tests/data/extraction_set.jsonl.

Counting follows issue 15: a figure is a US$ amount with its start and end month and its kind;
the headline recall and precision count only ``kind = "amount"``. Growth rates are not scored.
A predicted figure matches an expected one when start, end, kind and the value rounded to
0.01 US$ m are equal; each expected figure is matched at most once.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from itx_scraper.extract import extract

LABELLED_SET = Path(__file__).resolve().parent / "data" / "extraction_set.jsonl"
# Targets on unseen sentences (issue 15): (recall, precision) of kind "amount" per language.
TARGETS = {"en": (0.90, 0.95), "ur": (0.80, 0.90)}
KINDS = ("amount", "other", "target", "projection")

FigureKey = tuple[str, str, float, str]


@dataclass(frozen=True)
class Sentence:
    """One labelled sentence: its text, publication date and expected US$ figures."""

    id: str
    lang: str
    phrasing: str
    published: date | None
    text: str
    figures: tuple[FigureKey, ...]


@dataclass
class Tally:
    """Matched, missed and spurious figures of one group."""

    hits: int = 0
    missed: int = 0
    spurious: int = 0

    @property
    def recall(self) -> float | None:
        expected = self.hits + self.missed
        return self.hits / expected if expected else None

    @property
    def precision(self) -> float | None:
        predicted = self.hits + self.spurious
        return self.hits / predicted if predicted else None


@dataclass
class Score:
    """Tallies per (language, kind) and, for amounts, per (language, phrasing)."""

    by_kind: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_phrasing: dict[tuple[str, str], Tally] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # one line per sentence that is not right

    def tally(self, table: dict[tuple[str, str], Tally], key: tuple[str, str]) -> Tally:
        return table.setdefault(key, Tally())

    def headline(self, lang: str) -> Tally:
        return self.by_kind.get((lang, "amount"), Tally())


def load(path: Path = LABELLED_SET) -> list[Sentence]:
    """Read the labelled set; a malformed row raises ValueError naming its line."""
    rows: list[Sentence] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            figures = tuple(
                key(f["start"], f["end"], f["usd_million"], f["kind"]) for f in raw["figures"]
            )
            published = date.fromisoformat(raw["published"]) if raw["published"] else None
            rows.append(
                Sentence(raw["id"], raw["lang"], raw["phrasing"], published, raw["text"], figures)
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path.name} line {number}: {exc!r}") from exc
    return rows


def key(start: str, end: str, usd_million: float, kind: str) -> FigureKey:
    return (start, end, round(float(usd_million), 2), kind)


def predicted(sentence: Sentence) -> list[FigureKey]:
    """The extractor's US$ figures for one sentence (growth rates are left out)."""
    return [
        key(str(f.start), str(f.end), f.usd_million, f.kind)
        for f in extract(sentence.text, sentence.published)
        if f.usd_million is not None
    ]


def score(sentences: list[Sentence]) -> Score:
    """Compare the extractor's figures with the labels, sentence by sentence."""
    result = Score()
    for sentence in sentences:
        want, got = Counter(sentence.figures), Counter(predicted(sentence))
        hits, missed, spurious = want & got, want - got, got - want
        for figures, attribute in ((hits, "hits"), (missed, "missed"), (spurious, "spurious")):
            for figure, count in figures.items():
                kind = figure[3]
                tally = result.tally(result.by_kind, (sentence.lang, kind))
                setattr(tally, attribute, getattr(tally, attribute) + count)
                if kind == "amount":
                    tally = result.tally(result.by_phrasing, (sentence.lang, sentence.phrasing))
                    setattr(tally, attribute, getattr(tally, attribute) + count)
        if missed or spurious:
            result.errors.append(
                f"{sentence.id}: missed {sorted(missed.elements())} "
                f"spurious {sorted(spurious.elements())}"
            )
    return result


def missed_targets(result: Score) -> list[str]:
    """One line per language whose amount recall or precision is below its target."""
    out: list[str] = []
    for lang, (recall_target, precision_target) in TARGETS.items():
        tally = result.headline(lang)
        recall, precision = tally.recall or 0.0, tally.precision or 0.0
        if recall < recall_target or precision < precision_target:
            out.append(
                f"{lang}: recall {recall:.3f} (target {recall_target:.2f}), "
                f"precision {precision:.3f} (target {precision_target:.2f})"
            )
    return out


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:.3f}"


def table(result: Score, sentences: list[Sentence]) -> str:
    """Recall and precision per language and kind, then amounts per language and phrasing."""
    counts = Counter(s.lang for s in sentences)
    lines = [
        f"labelled set: {len(sentences)} sentences ("
        + ", ".join(f"{lang} {n}" for lang, n in sorted(counts.items()))
        + ")",
        "",
        f"{'lang':<5}{'kind':<22}{'expected':>9}{'predicted':>10}{'recall':>8}{'precision':>10}",
    ]

    def row(lang: str, name: str, tally: Tally) -> str:
        expected, got = tally.hits + tally.missed, tally.hits + tally.spurious
        return (
            f"{lang:<5}{name:<22}{expected:>9}{got:>10}"
            f"{_fmt(tally.recall):>8}{_fmt(tally.precision):>10}"
        )

    for lang in sorted(counts):
        for kind in KINDS:
            lines.append(row(lang, kind, result.by_kind.get((lang, kind), Tally())))
    lines += ["", "amounts by phrasing"]
    for (lang, phrasing), tally in sorted(result.by_phrasing.items()):
        lines.append(row(lang, phrasing, tally))
    return "\n".join(lines)
