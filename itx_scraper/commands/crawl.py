"""``scrapy crawl NAME`` that exits 1 when the crawl recorded a failed fetch, as ``run`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl

from itx_scraper.pipelines import FAILED_STAT, FETCHES_STAT

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawl):
    """Scrapy's crawl, plus: a failed fetch, or no fetch recorded at all, is exit code 1."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        crawlers: list[object] = []
        assert self.crawler_process
        original = self._create_crawler

        def keep(name: str) -> object:
            crawler = original(name)
            crawlers.append(crawler)
            return crawler

        self._create_crawler = keep  # type: ignore[method-assign]
        super().run(args, opts)
        for crawler in crawlers:
            stats = getattr(crawler, "stats", None)
            if stats is None:
                continue
            if stats.get_value(FAILED_STAT, 0) or not stats.get_value(FETCHES_STAT, 0):
                self.exitcode = 1
