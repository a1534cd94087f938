"""itx-scraper: watch, keep and announce Pakistan's monthly ICT (IT) export figures."""

from __future__ import annotations

__version__ = "0.1.0"  # the one place; pyproject.toml reads it (setuptools dynamic version)
PROJECT_URL = "https://github.com/itx-scraper/itx-scraper"
DEFAULT_USER_AGENT = f"itx-scraper/{__version__} (+{PROJECT_URL})"
