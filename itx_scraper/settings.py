"""Scrapy settings: polite defaults and the pipeline order. ``itx-scraper run`` layers config on top."""

from __future__ import annotations

from itx_scraper import DEFAULT_USER_AGENT

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
# Retries with backoff are for 5xx answers and timeouts (and a connection cut mid-answer);
# a DNS failure or a refused connection will not heal in seconds, so it is not retried.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadTimeoutError",
    "twisted.internet.error.TimeoutError",
    "twisted.internet.error.TCPTimedOutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionLost",
]
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # the run prints one error line per failed source itself
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Only http(s): Scrapy's file, data, ftp and s3 handlers would let a link read local files
# (file://host/etc/passwd) or other services. core/urls.py refuses those URLs as well.
DOWNLOAD_HANDLERS_BASE = {
    "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
}
# Replaces Scrapy's list, so that nothing else is even imported: no telnet console, no
# RemoteControl (an HTTP endpoint that runs Python, with a job file left in the profile),
# no periodic stats lines, no feed exports. Setting an entry to None would still import it.
EXTENSIONS_BASE = {"scrapy.extensions.corestats.CoreStats": 0}
REMOTE_CONTROL_ENABLED = False
COMMANDS_MODULE = "itx_scraper.commands"  # `scrapy crawl` exits 1 after a failed fetch
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
# Next to the spider: a signal may cut a callback's parse short (core/interrupt.py).
SPIDER_MIDDLEWARES = {"itx_scraper.middlewares.AbandonableParseMiddleware": 1100}
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
