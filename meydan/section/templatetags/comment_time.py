from datetime import timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()

RECENT = timedelta(days=7)


@register.filter
def comment_time(value):
    """ "3 hours ago" for the last week, then the date ("7 June 2015, 11:05")."""
    if value is None:
        return ""
    if timezone.now() - value < RECENT:
        return naturaltime(value)
    return date_format(timezone.localtime(value), "j F Y, H:i")
