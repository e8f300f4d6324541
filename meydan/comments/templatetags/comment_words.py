"""Stored codes in the reader's language, at the time they are shown:
{% load comment_words %} … {{ comment.moderation_reason|reason }}, {{ "spam"|status }}."""

from django import template

from meydan.comments.models import Comment
from meydan.comments.reasons import reason_display

register = template.Library()


@register.filter
def reason(value) -> str:
    """A stored moderation reason ("held: 3 links") worded in the active language."""
    return reason_display(value)


@register.filter
def status(value) -> str:
    """A comment status code ("pending") as its label; unknown values as they are."""
    if value in Comment.Status.values:
        return str(Comment.Status(value).label)
    return value or ""
