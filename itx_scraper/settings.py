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
# Scrapy's HTTP/1.1 handler, behind the per-host pacing (Retry-After, backoff, the delay after
# the pre-flight) that every request waits on just before it goes out (middlewares.py). (It
# imports its TLS context factory for http too.)
DOWNLOAD_HANDLERS_BASE = {
    "http": "itx_scraper.middlewares.PacedDownloadHandler",
    "https": "itx_scraper.middlewares.PacedDownloadHandler",
}
# The *_BASE lists below replace Scrapy's, so that what a run does not use is not even
# imported (setting an entry to None would still import it). Extensions: none. No telnet
# console, no RemoteControl (an HTTP endpoint that runs Python, with a job file left in
# the profile), no periodic stats lines, no feed exports, no stats we never read.
EXTENSIONS_BASE: dict[str, int] = {}
STATS_DUMP = False  # the stats dump at close is formatted even when INFO is not logged
REMOTE_CONTROL_ENABLED = False
# Downloader: what politeness and our sources need. Left out: Scrapy's offsite check
# (ConfiguredHostsMiddleware is stricter), HTTP auth, cookies (off; its module imports
# tldextract, requests and filelock), download stats and the HTTP cache (off). Scrapy's
# robots.txt and retry middlewares are replaced by ours below.
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
}
# Spider side: start requests, status filtering, Referer (the redirect middlewares warn on
# every run without it) and the URL length cap. Left out: depth stats (our spiders bound
# their own depth) and the meta-copy warnings.
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": 700,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": 800,
}
# Only the spider that runs is imported (not every statement parser for the workbook).
SPIDER_LOADER_CLASS = "itx_scraper.spiders.loader.LazySpiderLoader"
# Scrapy's defaults, written out: the pre-flight request (preflight.py) sends the same.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
}
ITX_ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what HttpCompressionMiddleware sends
COMMANDS_MODULE = "itx_scraper.commands"  # `scrapy crawl` exits 1 after a failed fetch
HTTPCACHE_ENABLED = False  # the cache would serve stale copies on 5xx; we do our own validators

DOWNLOADER_MIDDLEWARES = {
    # Lower numbers see requests first and responses last.
    "itx_scraper.middlewares.FetchTimingMiddleware": 10,
    "itx_scraper.middlewares.ConfiguredHostsMiddleware": 50,  # before everything that fetches
    "itx_scraper.middlewares.PrefetchedMiddleware": 60,  # the pre-flight's answer, replayed
    "itx_scraper.middlewares.CachedRobotsTxtMiddleware": 100,
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
ITX_NOT_BEFORE: dict[str, float] = {}  # host -> monotonic time: the pre-flight asked it last

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
