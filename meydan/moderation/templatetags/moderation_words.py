"""{% load moderation_words %} … {{ entry.action|audit_action }}"""

from django import template

from meydan.moderation.wording import audit_action_label

register = template.Library()


@register.filter
def audit_action(value) -> str:
    return audit_action_label(value)
