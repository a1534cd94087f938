"""Write the demo's monthly SBP releases (real dt.xls layout) into itx_scraper/demo/; run once.

Usage: .venv/bin/python scripts/make_demo_releases.py

Needs the test extra (openpyxl). The figures come from the bundled history
(itx_scraper/data/ict_monthly.csv); every release repeats SBP's five blocks: the year-ago
month, the previous month, the new month, and both fiscal-years-to-date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

OUT = ROOT / "itx_scraper" / "demo"
# Release month -> when SBP publishes it (illustrative: SBP publishes around the 17th-20th
# of the following month).
TIMELINE = {
    Month(2023, 11): "2023-12-18T12:00:00+00:00",
    Month(2023, 12): "2024-01-17T12:00:00+00:00",
    Month(2024, 1): "2024-02-16T12:00:00+00:00",
    Month(2024, 2): "2024-03-18T12:00:00+00:00",
    Month(2024, 3): "2024-04-17T12:00:00+00:00",
    Month(2024, 4): "2024-05-17T12:00:00+00:00",
    Month(2024, 5): "2024-06-18T12:00:00+00:00",
    Month(2024, 6): "2024-07-17T12:00:00+00:00",
}


def main() -> None:
    ict = published_ict()
    OUT.mkdir(exist_ok=True)
    releases = []
    for month, published in TIMELINE.items():
        name = f"dt-{month}.xlsx"
        (OUT / name).write_bytes(build_dt(month, ict, fmt="xlsx"))
        releases.append({"month": str(month), "file": name, "published_at": published})
    manifest = {
        "description": "Monthly SBP Trade in Services releases, Nov 2023 to Jun 2024, built by "
        "scripts/make_demo_releases.py from itx_scraper/data/ict_monthly.csv",
        "history_until": str(min(TIMELINE).shift(-1)),
        "releases": releases,
    }
    (OUT / "timeline.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(releases)} releases and timeline.json to {OUT}")


if __name__ == "__main__":
    main()
