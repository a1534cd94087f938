"""itx-scraper: watch, keep and announce Pakistan's monthly ICT (IT) export figures."""

from __future__ import annotations

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/itx-scraper/itx-scraper"
