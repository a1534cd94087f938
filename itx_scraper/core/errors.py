"""Exception types shared by parsers, fetch handling and storage."""

from __future__ import annotations


class ItxError(Exception):
    """Base class for errors this package raises on purpose."""


class ParseError(ItxError):
    """A document could not be turned into figures; ``error_class`` goes into the fetch log."""

    error_class = "parse"


class NotADocumentError(ParseError):
    """The bytes are not the kind of document expected (HTML home page, empty, random bytes)."""

    error_class = "parse"


class LayoutError(ParseError):
    """The document is of the right kind but its layout changed (labels, headers, units)."""

    error_class = "layout"


class TooLargeError(ParseError):
    """The document, or what it would decompress to, exceeds a size cap."""

    error_class = "size"


class ConfigError(ItxError):
    """The configuration file or command line is invalid (exit code 2)."""


class LockedError(ItxError):
    """Another run holds the lock on this database (exit code 75)."""
