"""A small hand-made history in a real database, for the views, show/export, chart and Datasette.

Every expected number in the tests that use it is computed by hand from the table below.

| release | source    | retrieved_at         | ICT credit (US$ m)                                  |
|---------|-----------|----------------------|-----------------------------------------------------|
| 1       | import    | 2024-01-03T09:00:00Z | 2023-06 90                                          |
| 2       | baseline  | 2024-01-05T08:00:00Z | 2022-07 100, 2022-08 120, 2022-09 110,              |
|         |           |                      | 2023-07 120, 2023-08 118                            |
| 3       | sbp_ebops | 2024-01-18T10:00:00Z | 2022-09 110 R, 2023-08 119 R, 2023-09 125 P,        |
|         |           |                      | FYTD Jul-Sep FY23 331, Jul-Sep FY24 360 P           |
| 4       | sbp_ebops | 2024-02-19T10:00:00Z | 2022-10 105 R, 2023-09 127 R, 2023-10 130 P,        |
|         |           |                      | FYTD Jul-Oct FY23 436, Jul-Oct FY24 497 P           |

Noise that the views must ignore: ICT debit, an ICT debit FYTD, and total services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import migrated_store

from itx_scraper.core.periods import format_range, parse_range
from itx_scraper.store import NewRelease

RELEASES: list[tuple[str, str, list[tuple[str, str, str, float, str | None]]]] = [
    ("import", "2024-01-03T09:00:00+00:00", [("9", "credit", "2023-06", 90.0, None)]),
    (
        "baseline",
        "2024-01-05T08:00:00+00:00",
        [
            ("9", "credit", "2022-07", 100.0, None),
            ("9", "credit", "2022-08", 120.0, None),
            ("9", "credit", "2022-09", 110.0, None),
            ("9", "credit", "2023-07", 120.0, None),
            ("9", "credit", "2023-08", 118.0, None),
        ],
    ),
    (
        "sbp_ebops",
        "2024-01-18T10:00:00+00:00",
        [
            ("9", "credit", "2022-09", 110.0, "R"),
            ("9", "credit", "2023-08", 119.0, "R"),
            ("9", "credit", "2023-09", 125.0, "P"),
            ("9", "credit", "2022-07/2022-09", 331.0, None),
            ("9", "credit", "2023-07/2023-09", 360.0, "P"),
            ("9", "debit", "2023-09", 20.0, "P"),
            ("services", "credit", "2023-09", 600.0, "P"),
        ],
    ),
    (
        "sbp_ebops",
        "2024-02-19T10:00:00+00:00",
        [
            ("9", "credit", "2022-10", 105.0, "R"),
            ("9", "credit", "2023-09", 127.0, "R"),
            ("9", "credit", "2023-10", 130.0, "P"),
            ("9", "credit", "2022-07/2022-10", 436.0, None),
            ("9", "credit", "2023-07/2023-10", 497.0, "P"),
            ("9", "debit", "2023-07/2023-10", 50.0, "P"),
        ],
    ),
]


def observation(
    series: str, flow: str, period: str, value: float, status: str | None, cell: str
) -> dict[str, Any]:
    start, end = parse_range(period)
    return {
        "series": series,
        "flow": flow,
        "period": format_range(start, end),
        "period_start": str(start),
        "period_end": str(end),
        "months": end.index - start.index + 1,
        "usd_million": value,
        "status": status,
        "sheet": "EBOPS ",
        "cell": cell,
    }


def build(path: Path) -> Path:
    """Write the history above into a fresh database at ``path``."""
    store = migrated_store(path)
    try:
        for number, (source, retrieved_at, rows) in enumerate(RELEASES, start=1):
            with store.transaction():
                release_id = store.add_release(
                    NewRelease(
                        source=source,
                        url=f"https://example.org/{source}/{number}",
                        body=f"release {number}".encode(),
                        retrieved_at=retrieved_at,
                        parse_status="ok",
                        latest_period=str(max(parse_range(r[2])[1] for r in rows)),
                    )
                )
                assert release_id == number
                store.add_observations(
                    release_id,
                    [observation(*row, cell=f"C{i}") for i, row in enumerate(rows, start=9)],
                )
    finally:
        store.close()
    return path
