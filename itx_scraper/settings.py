"""Scrapy settings: polite defaults and the pipeline order. ``itx-scraper run`` layers config on top."""

from __future__ import annotations

from itx_scraper.core.config import DEFAULT_USER_AGENT

BOT_NAME = "itx_scraper"
SPIDER_MODULES = ["itx_scraper.spiders"]
NEWSPIDER_MODULE = "itx_scraper.spiders"

# Politeness towards government servers: robots.txt, one request at a time per host, a delay.
USER_AGENT = DEFAULT_USER_AGENT
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.5
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 20 * 2**20
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False  # the cache would serve stale copies on 5xx; we do our own validators

DOWNLOADER_MIDDLEWARES = {
    # Lower numbers see requests first and responses last.
    "itx_scraper.middlewares.FetchTimingMiddleware": 10,
    "itx_scraper.middlewares.ConfiguredHostsMiddleware": 50,  # before robots.txt (100)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "itx_scraper.middlewares.BackoffRetryMiddleware": 550,
    "itx_scraper.middlewares.RetryAfterMiddleware": 555,
    "itx_scraper.middlewares.ConditionalGetMiddleware": 560,
}
ITEM_PIPELINES = {"itx_scraper.pipelines.StorePipeline": 300}

# itx-scraper's own settings; `run` fills them from the config.
ITX_DB = None
ITX_CONFIG = None
ITX_RUN_ID = None
ITX_SILENT = None
ITX_RETRY_BACKOFF = None  # seconds before the first retry, doubling; None: max(1, DOWNLOAD_DELAY)
ITX_RETRY_AFTER_CAP = 300.0  # longest wait for Retry-After or backoff

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
