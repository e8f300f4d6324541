import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
django_application = get_wsgi_application()

from meydan.api.fastpath import FastReads  # noqa: E402 - needs the app registry
from meydan.core.health import HealthChecks  # noqa: E402
from meydan.core.metrics import CountRequests  # noqa: E402

# Cached reads are answered before Django's request cycle (see meydan/api/fastpath.py);
# every request, whoever answers it, is counted and timed (meydan/core/metrics.py),
# but for /healthz and /readyz, answered before anything else (meydan/core/health.py).
application = HealthChecks(CountRequests(FastReads(django_application)))
