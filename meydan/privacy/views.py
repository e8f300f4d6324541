"""The /privacy/ page: what this installation keeps about commenters, from its
running configuration (privacy/policy.py)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from meydan.privacy.policy import privacy_policy
from meydan.sites.resolve import site_for_request


@require_safe
def policy(request):
    """GET /privacy/ — the operator's text, then the facts (the same as JSON at
    GET /api/v1/privacy)."""
    try:
        site = site_for_request(request)  # the masthead's name; the page covers every site
    except Http404:
        site = None
    return render(request, "privacy/policy.html", {"policy": privacy_policy(request), "site": site})
