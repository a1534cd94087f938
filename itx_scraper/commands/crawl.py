"""``scrapy crawl NAME`` that exits 1 when the crawl recorded a failed fetch, as ``run`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from itx_scraper.pipelines import FAILED_STAT, FETCHES_STAT

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawl):
    """Scrapy's crawl, plus: a failed fetch, or no fetch recorded at all, is exit code 1."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name: scrapy crawl NAME")
        assert self.crawler_process
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats = crawler.stats
        if (
            self.crawler_process.bootstrap_failed
            or stats is None
            or stats.get_value(FAILED_STAT, 0)
            or not stats.get_value(FETCHES_STAT, 0)
        ):
            self.exitcode = 1
