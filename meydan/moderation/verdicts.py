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

    @classmethod
    def approve(cls) -> "Verdict":
        return cls(Decision.APPROVE)

    def stricter_of(self, other: "Verdict | None") -> "Verdict":
        if other is None or other.decision <= self.decision:
            return self
        return other
