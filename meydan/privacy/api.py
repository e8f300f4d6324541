"""GET /api/v1/privacy: the facts of the /privacy/ page, as JSON.

The privacy app is a front door beside the API (pyproject's layers), so meydan/urls.py,
the composition root, mounts this router on the v1 API.
"""

from ninja import Router

from meydan.privacy.policy import PrivacyPolicy, privacy_policy

router = Router(tags=["privacy"])


@router.get("/privacy", response=PrivacyPolicy)
def privacy(request):
    """GET /api/v1/privacy — what this installation keeps about commenters, for how
    long, who sees it, who else receives anything, and every cookie it can set;
    generated from the running configuration, like the /privacy/ page."""
    return privacy_policy(request)
