"""Optional: ask Akismet (a cloud service run by Automattic) whether a comment is spam.

OFF by default: settings.py adds it to MEYDAN_MODERATION_CHECKS only when
MEYDAN_AKISMET_KEY is set (or the operator lists it), because it SENDS EACH COMMENT
TO A THIRD PARTY — its text, the author's name, email and website, and the reader's
IP address. Enable it only if your readers have been told.
Settings: MEYDAN_AKISMET_KEY, MEYDAN_AKISMET_SITE_URL (the blog URL registered with
Akismet). Akismet answering "true" puts the comment in spam; an error or a timeout
gives no opinion (the comment is not blocked because a third party is down).
"""

import logging

import requests
from django.conf import settings

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 4


class AkismetCheck:
    def check(self, draft) -> Verdict | None:
        key = settings.MEYDAN_AKISMET_KEY
        if not key:
            return None
        data = {
            "blog": settings.MEYDAN_AKISMET_SITE_URL or f"https://{draft.site.domain}",
            "user_ip": draft.client_ip or "",
            "permalink": draft.page_url,
            "comment_type": "reply" if draft.parent_id else "comment",
            "comment_author": draft.author_name,
            "comment_author_email": draft.author_email,
            "comment_author_url": draft.author_url,
            "comment_content": draft.body,
        }
        try:
            response = requests.post(
                f"https://{key}.rest.akismet.com/1.1/comment-check",
                data=data,
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            log.warning("Akismet unreachable (%s): no opinion", error.__class__.__name__)
            return None
        answer = response.text.strip()
        if response.status_code != 200 or answer not in ("true", "false"):
            log.warning(
                "Akismet answered %s %r (%s): no opinion",
                response.status_code,
                answer[:80],
                response.headers.get("X-akismet-debug-help", ""),
            )
            return None
        if answer == "true":
            discard = response.headers.get("X-akismet-pro-tip") == "discard"
            return Verdict(Decision.SPAM, why=Reason.of("akismet", blatant=discard))
        return None
