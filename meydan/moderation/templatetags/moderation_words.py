"""{% load moderation_words %} … {{ entry.action|audit_action }} {{ entry.note|audit_note }}"""

from django import template

from meydan.moderation.wording import audit_action_label, audit_note_display

register = template.Library()


@register.filter
def audit_action(value) -> str:
    return audit_action_label(value)


@register.filter
def audit_note(value) -> str:
    return audit_note_display(value or "")
