"""Hold a comment with many links (WordPress: "hold if it contains 2 or more links")."""

import re

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason

# Markdown links, autolinks and bare URLs; each counted once per occurrence.
LINK = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)


def count_links(text: str) -> int:
    return len(LINK.findall(text or ""))


class LinksCheck:
    def check(self, draft) -> Verdict | None:
        threshold = draft.site.hold_links
        if not threshold:
            return None
        links = count_links(draft.body)
        if links >= threshold:
            return Verdict(Decision.HOLD, why=Reason.of("links", n=links))
        return None
