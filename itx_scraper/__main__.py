"""``python -m itx_scraper`` runs the command-line interface."""

from __future__ import annotations

from itx_scraper.cli import main

main()
