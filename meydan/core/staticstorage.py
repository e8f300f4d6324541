"""WhiteNoise's compressed, content-hashed static files, with Brotli at a quality that
fits a server's start.

`meydan serve` collects the static files at every start, and WhiteNoise compresses
each with gzip and, once the `brotli` package is installed (it is: the read path's
answers use it, core/compression.py), with Brotli at its slowest quality: 24 s of two
cores for Django's admin and our files, on every start. Quality 9 gives nearly the
same bytes in a fraction of the time.
"""

import brotli
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

BROTLI_QUALITY = 9


class _Compressor(Compressor):
    @staticmethod
    def compress_brotli(data):
        return brotli.compress(data, quality=BROTLI_QUALITY)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return _Compressor(**kwargs)
