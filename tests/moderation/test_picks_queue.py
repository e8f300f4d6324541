"""Pick / Unpick / Pin / Unpin from the moderation queue: shown on published
comments, audited, only on the sites one moderates."""

import re

from meydan.comments.models import Comment, Thread
from meydan.moderation.models import AuditEntry


def row_of(html: str, comment) -> str:
    start = html.index(f'id="row-{comment.pk}"')
    return html[start : html.index("</li>", start)]


def test_published_comments_have_pick_and_pin_buttons(mod_client, post):
    shown = post("Published.")
    held = post("Held.")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    html = mod_client.get("/moderation/?tab=all").content.decode()
    published = row_of(html, shown)
    assert f'value="pick:{shown.pk}"' in published and f'value="pin:{shown.pk}"' in published
    assert 'data-key-action="pick"' in published and 'data-key-action="pin"' in published
    assert "pick:" not in row_of(html, held) and "pin:" not in row_of(html, held)


def test_a_moderator_picks_and_pins_from_the_queue(mod_client, post, moderator):
    first, second = post("First."), post("Second.")
    for one in (f"pick:{first.pk}", f"pin:{first.pk}", f"pin:{second.pk}"):
        response = mod_client.post("/moderation/act/", {"one": one, "next": "/moderation/?tab=all"})
        assert response.status_code == 302
    assert Comment.objects.get(pk=first.pk).is_pick
    assert Thread.objects.get().pinned_id == second.pk
    html = mod_client.get("/moderation/?tab=all").content.decode()
    row = row_of(html, first)
    assert "Editor&#x27;s pick" in row or "Editor's pick" in row
    assert f'value="unpick:{first.pk}"' in row and f'value="pin:{first.pk}"' in row
    assert f'value="unpin:{second.pk}"' in row_of(html, second)
    assert re.search(r'class="tag tag--pinned"', row_of(html, second))

    mod_client.post("/moderation/act/", {"one": f"unpin:{second.pk}"})
    mod_client.post("/moderation/act/", {"one": f"unpick:{first.pk}"})
    assert Thread.objects.get().pinned_id is None and not Comment.objects.filter(is_pick=True)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor")) == [
        ("pick", moderator.pk),
        ("pin", moderator.pk),
        ("pin", moderator.pk),
        ("unpin", moderator.pk),
        ("unpick", moderator.pk),
    ]


def test_another_sites_comment_is_left_alone(mod_client, thread_b, post):
    on_b = post("On site B.", on=thread_b)
    mod_client.post("/moderation/act/", {"one": f"pick:{on_b.pk}"})
    mod_client.post("/moderation/act/", {"one": f"pin:{on_b.pk}"})
    assert not Comment.objects.get(pk=on_b.pk).is_pick
    assert Thread.objects.get(pk=thread_b.pk).pinned_id is None
    assert not AuditEntry.objects.exists()


def test_a_held_comment_is_refused_with_a_message(mod_client, post):
    held = post("Held.")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    response = mod_client.post("/moderation/act/", {"one": f"pin:{held.pk}"}, follow=True)
    assert "Only published comments can be picked or pinned." in response.content.decode()
    assert Thread.objects.get().pinned_id is None
