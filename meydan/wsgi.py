import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
django_application = get_wsgi_application()

# Every URL pattern and so every view module now, while the worker starts, rather than
# on the first reader's request (half a second to a second of imports: the API's
# schemas, allauth's views): a restarted worker answers its first page at full speed.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - loading is the point

from meydan.api.fastpath import FastReads  # noqa: E402 - needs the app registry
from meydan.core.health import HealthChecks  # noqa: E402
from meydan.core.metrics import CountRequests  # noqa: E402

# Cached reads are answered before Django's request cycle (see meydan/api/fastpath.py);
# every request, whoever answers it, is counted and timed (meydan/core/metrics.py),
# but for /healthz and /readyz, answered before anything else (meydan/core/health.py).
application = HealthChecks(CountRequests(FastReads(django_application)))
