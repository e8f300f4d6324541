"""Stored codes in the reader's language, at the time they are shown:
{% load comment_words %} … {{ comment|reason }}, {{ "spam"|status }}."""

from django import template

from meydan.comments.models import Comment
from meydan.comments.reasons import reason_display

register = template.Library()


@register.filter
def reason(value) -> str:
    """A comment's moderation reason (its stored code and parameters) worded in the
    active language; given English text (an audit snapshot: "held: 3 links"), that
    text's reason."""
    if isinstance(value, Comment):
        return value.reason.shown()
    return reason_display(value)


@register.filter
def status(value) -> str:
    """A comment status code ("pending") as its label; unknown values as they are."""
    if value in Comment.Status.values:
        return str(Comment.Status(value).label)
    return value or ""
