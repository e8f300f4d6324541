import json

import pytest
from django.test import Client

ORIGIN = "https://blog.example.org"


@pytest.fixture
def api():
    """A JSON client: api.get(path, **params), api.post(path, body, **headers)…"""

    class Api:
        def __init__(self):
            self.client = Client()

        def get(self, path, params=None, **headers):
            return self.client.get(f"/api/v1{path}", params or {}, headers=headers)

        def post(self, path, body, **headers):
            return self.client.post(
                f"/api/v1{path}", json.dumps(body), content_type="application/json",
                headers=headers,
            )  # fmt: skip

        def patch(self, path, body, **headers):
            return self.client.patch(
                f"/api/v1{path}", json.dumps(body), content_type="application/json",
                headers=headers,
            )  # fmt: skip

        def delete(self, path, **headers):
            return self.client.delete(f"/api/v1{path}", headers=headers)

    return Api()


@pytest.fixture
def new_comment(site):
    def _body(**overrides):
        body = {
            "site": site.slug,
            "url": f"{ORIGIN}/2015/06/baku-rally/?utm_source=x#top",
            "title": "Thousands rally in Baku",
            "body": "Posted *from the widget*.",
            "name": "Aynur",
            "email": "aynur@example.org",
            "website": "",
        }
        body.update(overrides)
        return body

    return _body
