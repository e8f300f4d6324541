#!/usr/bin/env python3
"""`meydan-healthcheck [PATH]`: exit 0 when Meydan on 127.0.0.1:$PORT (8000) answers
PATH (default /readyz) with 200, else 1; for a container's healthcheck.

It asks as the proxy would: with a host name Meydan answers to (the first of
MEYDAN_ALLOWED_HOSTS) and X-Forwarded-Proto: https (so MEYDAN_SSL_REDIRECT does not
answer with a redirect). Standard library only.
"""

import http.client
import os
import sys


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
    port = int(os.environ.get("PORT") or 8000)
    host = (os.environ.get("MEYDAN_ALLOWED_HOSTS") or "localhost").split(",")[0].strip()
    host = host.lstrip(".")  # ".example.org" allows example.org and its subdomains
    if not host or host == "*":
        host = "localhost"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as error:
        sys.stderr.write(f"{path}: {error}\n")
        return 1
    finally:
        connection.close()
    if status != 200:
        sys.stderr.write(f"{path}: HTTP {status}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
