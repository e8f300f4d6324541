"""Reading commenters' addresses in tests: they are stored sealed (core.sealing)."""

from meydan.core import sealing


def address_of(row) -> str:
    """The address a comment (or subscription, or delivery) was stored with."""
    for field in ("author_email_sealed", "email_sealed", "to_sealed"):
        if hasattr(row, field):
            return sealing.unseal(getattr(row, field))
    raise AttributeError(f"{type(row).__name__} keeps no address")
