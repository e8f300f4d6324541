"""What a moderation check decides about a draft comment."""

import enum
from dataclasses import dataclass


class Decision(enum.IntEnum):
    """Ordered by strictness: when checks disagree, the highest wins."""

    APPROVE = 0
    HOLD = 1
    SPAM = 2
    REJECT = 3


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str = ""
    # For a refusal a person should hear about (too fast, form expired): the
    # message to show them, and for rate limits how long to wait.
    message: str = ""
    retry_after: int = 0
    # A shadow ban: saved as spam, but shown to its own author as if published.
    shadow: bool = False
    # The learned spam filter's score, when it ran; kept whatever the decision.
    spam_score: float | None = None

    @classmethod
    def approve(cls) -> "Verdict":
        return cls(Decision.APPROVE)

    def stricter_of(self, other: "Verdict | None") -> "Verdict":
        if other is None or other.decision <= self.decision:
            return self
        return other
