"""The formats an import reads, one module each (see records.py for what they
yield). Recognised from the content, in this order."""

import gzip
from importlib import import_module

from meydan.interchange.records import ImportFileError

FORMATS = ("wordpress", "disqus", "meydan", "commento", "remark42", "isso")


def reader_for(name: str):
    if name not in FORMATS:
        raise ImportFileError(
            f"Unknown format {name!r}: use one of {', '.join(FORMATS)}",
            code="unknown_format",
            params={"name": name, "formats": ", ".join(FORMATS)},
        )
    return import_module(f"meydan.interchange.readers.{name}")


def detect(path) -> str:
    """The format of the file at `path`, from what it holds."""
    try:
        for name in FORMATS:
            if reader_for(name).sniff(path):
                return name
    except OSError as error:
        raise ImportFileError(
            f"The file cannot be read: {error.strerror}",
            code="unreadable",
            params={"detail": str(error.strerror)},
        ) from None
    raise ImportFileError(
        "The file's format is not one Meydan imports (WordPress WXR, Disqus XML, an Isso "
        "database, a Commento or Remark42 export, Meydan JSON); give --format if it is one",
        code="unrecognised",
    )


def open_maybe_gzip(path):
    """The file as bytes, decompressed if it is gzip (by its first bytes, not its
    name: exports are downloaded as .json.gz, and renamed)."""
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")
