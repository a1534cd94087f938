"""The published measure: recall and precision on tests/data/extraction_set.jsonl meet the targets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from extraction_score import LABELLED_SET, TARGETS, load, missed_targets, score, table


def test_labelled_set_is_large_and_covers_both_languages_and_hard_negatives() -> None:
    sentences = load()
    assert len(sentences) >= 150
    assert len({s.id for s in sentences}) == len(sentences), "ids must be unique"
    langs = Counter(s.lang for s in sentences)
    assert langs["en"] >= 100 and langs["ur"] >= 50
    kinds = Counter(f[3] for s in sentences for f in s.figures)
    assert kinds["amount"] >= 150 and kinds["other"] + kinds["target"] + kinds["projection"] >= 30
    assert sum(not s.figures for s in sentences) >= 15  # sentences that must yield nothing


def test_extractor_meets_the_targets_on_the_labelled_set() -> None:
    sentences = load()
    result = score(sentences)
    report = table(result, sentences) + "\n" + "\n".join(result.errors)
    assert not missed_targets(result), report
    for lang in TARGETS:
        assert result.headline(lang).hits >= 50, report


def test_scorer_counts_misses_and_spurious_figures(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "lang": "en", "phrasing": "plain", "published": null, '
        '"text": "IT exports were $310 million in April 2024 and $3.2 billion in FY24.", '
        '"figures": [{"start": "2024-04", "end": "2024-04", "usd_million": 310, "kind": "amount"},'
        ' {"start": "2024-05", "end": "2024-05", "usd_million": 332, "kind": "amount"}]}\n',
        encoding="utf-8",
    )
    result = score(load(path))
    tally = result.headline("en")
    assert (tally.hits, tally.missed, tally.spurious) == (1, 1, 1)  # FY24 3,200 is not labelled
    assert (tally.recall, tally.precision) == (0.5, 0.5)
    assert missed_targets(result) and len(result.errors) == 1
    assert LABELLED_SET.exists()
