"""Proof of work: a guest's comment comes with a solved challenge (ALTCHA, computed in
their browser; pow_challenge.py says how it is issued, priced and checked), or it
waits for a moderator.

It never refuses: a reader without JavaScript (Tor Browser's safest mode), with a
browser too old for `crypto.subtle`, or whose challenge expired while they wrote
still gets their comment through — held, with a reason code the moderators and the
dashboard see ("held: no proof of work", "held: proof of work expired", …). A bot
that does not solve gets the same, so a flood lands in the queue rather than on the
page; a bot that solves pays CPU time per comment, and more under a flood.

Signed-in readers skip it: an account is already a cost (a provider's sign-in, a
passkey) and a ban can reach it; their comments are not counted in the flood either.
MEYDAN_POW=False turns the check off (the challenge endpoint then says so and the
widget and the form stop solving).
"""

from django.conf import settings

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason
from meydan.moderation.checks import pow_challenge


class ProofOfWorkCheck:
    def check(self, draft) -> Verdict | None:
        if not settings.MEYDAN_POW or draft.user is not None or draft.channel == "import":
            return None
        site_key = draft.site.slug
        page_key = draft.thread.key
        # Every guest post counts towards the flood, solved or not.
        pow_challenge.flood_level(
            site_key, page_key, pow_challenge.address_key(draft.client_ip), count=True
        )
        checked = pow_challenge.challenge_verify(
            draft.challenge, site_key=site_key, page_key=page_key
        )
        if checked.ok and not pow_challenge.payload_spend(checked):
            checked = pow_challenge.Checked("replayed")
        if checked.ok:
            return None
        problem = None if checked.problem == "missing" else checked.problem
        return Verdict(Decision.HOLD, why=Reason.of("pow", problem=problem))
