"""A spider loader that imports only the spider asked for (``SPIDER_LOADER_CLASS``)."""

from __future__ import annotations

from collections import defaultdict
from importlib import import_module
from typing import TYPE_CHECKING

from scrapy.spiderloader import SpiderLoader
from scrapy.utils.spider import iter_spider_classes

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.settings import BaseSettings


class LazySpiderLoader(SpiderLoader):
    """Scrapy's loader imports every spider module when it starts: the statement spiders pull
    in their parsers (lxml, bs4, pdfplumber) even for a run of the workbook alone. A spider
    named ``x`` lives in ``<SPIDER_MODULES>.x``: ``load`` imports that module only, and walks
    all of them (as Scrapy does) only for a name found nowhere else, ``list`` and
    ``find_by_request`` (``scrapy list``, ``scrapy crawl NAME`` keep working)."""

    def __init__(self, settings: BaseSettings) -> None:
        self.spider_modules = settings.getlist("SPIDER_MODULES")
        self.warn_only = settings.getbool("SPIDER_LOADER_WARN_ONLY")
        self._spiders: dict[str, type[Spider]] = {}
        self._found: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        self._all_loaded = False

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name not in self._spiders:
            for package in self.spider_modules:
                try:
                    module = import_module(f"{package}.{spider_name}")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{package}.{spider_name}":
                        raise  # the module exists but one of its imports does not
                    continue
                for spider in iter_spider_classes(module):
                    if spider.name == spider_name:
                        self._spiders[spider_name] = spider
        if spider_name not in self._spiders:
            self._load_everything()
        return super().load(spider_name)

    def list(self) -> list[str]:
        self._load_everything()
        return super().list()

    def find_by_request(self, request: Request) -> list[str]:
        self._load_everything()
        return super().find_by_request(request)

    def _load_everything(self) -> None:
        if not self._all_loaded:
            self._all_loaded = True
            self._load_all_spiders()
