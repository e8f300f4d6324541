"""The stream server's ASGI application: `meydan live` runs it with granian
(--interface asgi). Django is set up once, for the lookups (meydan/live/stream.py)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
django.setup()

from meydan.live.stream import LiveStream  # noqa: E402 - needs Django set up

application = LiveStream()
