"""docs/webhooks.md is a promise: real payloads of every event fit its JSON Schema,
and its verification code accepts real calls and refuses tampered or stale ones."""

import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from meydan.comments import services
from meydan.comments.reasons import Reason
from meydan.webhooks.services import webhook_ping

pytestmark = pytest.mark.django_db

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()


def block_after(heading: str, language: str) -> str:
    section = DOC.split(heading, 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S)[1]


SCHEMA = json.loads(block_after("### JSON Schema", "json"))
TYPES = {"object": dict, "string": str, "integer": int, "boolean": bool, "null": type(None)}
FORMATS = {
    "uuid": uuid.UUID,
    "date-time": lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
    "uri": lambda v: re.match(r"^https?://[^/]+/", v) or (_ for _ in ()).throw(ValueError(v)),
}


def check(schema: dict, value, where="payload") -> None:
    """The parts of JSON Schema the document uses: type, const, enum, format,
    required, properties, additionalProperties: false."""
    if "const" in schema:
        assert value == schema["const"], where
    if "enum" in schema:
        assert value in schema["enum"], (where, value)
    types = schema.get("type")
    if types:
        types = [types] if isinstance(types, str) else types
        assert any(
            isinstance(value, TYPES[t]) and not (t == "integer" and isinstance(value, bool))
            for t in types
        ), (where, value)
    if isinstance(value, str) and "format" in schema:
        FORMATS[schema["format"]](value)
    if isinstance(value, dict):
        assert set(schema.get("required", [])) <= set(value), (where, sorted(value))
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(schema["properties"]), (where, sorted(value))
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(sub, value[name], f"{where}.{name}")


def test_every_event_fits_the_documented_schema(
    hook, post, thread, work, receiver, django_capture_on_commit_callbacks
):
    webhook = hook()  # every event, Meydan JSON
    parent = post("Parent.")
    reply = post("A reply.", parent=parent)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(reply, "pending", channel="moderation")
        services.comment_set_status(reply, "approved", channel="moderation")
        services.comment_edit_by_author(reply, body="Edited.", channel="api")
        services.comment_set_status(reply, "spam", channel="moderation")
        services.comment_erase(
            parent, reason=Reason.of("erased", how="withdrawn"), channel="self-service"
        )
        services.thread_update(thread, is_open=False, channel="admin")
        webhook_ping(webhook)
    work()
    events = [json.loads(call.body) for call in receiver.calls]
    assert sorted({e["event"] for e in events}) == sorted(SCHEMA["properties"]["event"]["enum"])
    for data in events:
        check(SCHEMA, data)
    [erased] = [e for e in events if e["comment"] and e["comment"]["status"] == "erased"]
    assert erased["comment"]["author_name"] is None and erased["comment"]["body_text"] is None
    assert [e["comment"]["parent_id"] for e in events if e["event"] == "comment.edited"] == [
        parent.pk
    ]


def test_the_documented_verification_accepts_real_calls_and_refuses_others(
    hook, post, work, receiver
):
    namespace: dict = {}
    exec(block_after("### Verifying a call", "python"), namespace)  # noqa: S102 - our own doc
    verify = namespace["verify"]
    webhook = hook(events=["comment.posted"])
    post("Hello.")
    work()
    [call] = receiver.calls
    header = call.headers["meydan-signature"]
    assert verify(webhook.secret, header, call.body)
    assert not verify(webhook.secret, header, call.body + b" ")
    assert not verify("whsec_someone-else", header, call.body)
    # Correctly signed, but 301 seconds old (a replay): refused for its age alone.
    for age, accepted in [(290, True), (301, False)]:
        t = int(time.time()) - age
        mac = hmac.new(webhook.secret.encode(), f"{t}.".encode() + call.body, hashlib.sha256)
        assert verify(webhook.secret, f"t={t},v1={mac.hexdigest()}", call.body) is accepted
