"""The two closed lists of reasons, checked the same way by every front door (API,
HTML forms, the queue, the admin). Pure: no database.

- A reader's report (moderation.Flag.Reason): spam, harassment, illegal content,
  or other — and then the reader's own words are required.
- A moderator's statement of reasons when removing a comment (comments.Comment.
  RemovalReason, the EU Digital Services Act's art. 17): spam, harassment, illegal
  content, personal data, off-topic / community rules, or other with a note. Left
  empty, it defaults to what the action says (spam for "spam", the community rules
  for "trash" and "delete").

Both are stored as codes, so what is shown is translated when shown.
"""

from django.utils.translation import gettext_lazy as _

from meydan.comments.models import Comment
from meydan.core.errors import ReasonInvalid
from meydan.moderation.models import Flag

R = Comment.RemovalReason

# The moderators' actions that remove a comment, and the reason each gives by default.
REMOVING = {"spam": R.SPAM, "trash": R.OFF_TOPIC, "delete": R.OFF_TOPIC}


def _note(note: str | None, limit: int, *, required: bool, field: str) -> str:
    note = " ".join(str(note or "").split())  # one line: it is shown inline
    if "\x00" in note:
        raise ReasonInvalid(_("The text contains a NUL character."), field=field)
    if len(note) > limit:
        raise ReasonInvalid(_("Say it in %(n)d characters or fewer.") % {"n": limit}, field=field)
    if required and not note:
        raise ReasonInvalid(_("For “Other”, say in a few words what is wrong."), field=field)
    return note


def report_reason_clean(reason: str | None, note: str | None = "") -> tuple[str, str]:
    """(code, note) of a reader's report, or ReasonInvalid (field "reason" or "note")."""
    code = str(reason or "").strip()
    if code not in Flag.Reason.values:
        raise ReasonInvalid(
            _("Choose why you report this comment: %(choices)s.")
            % {"choices": ", ".join(f"{v} ({label})" for v, label in Flag.Reason.choices)},
            field="reason",
        )
    return code, _note(note, Flag.NOTE_MAX, required=code == Flag.Reason.OTHER, field="note")


def removal_reason_clean(
    action: str, reason: str | None, note: str | None = ""
) -> tuple[str, str] | None:
    """(code, note) of a moderator's removal — the default for the action when no
    reason is given — or None for an action that removes nothing; ReasonInvalid for
    a code not on the list, or "other" without a note."""
    if action not in REMOVING:
        return None
    code = str(reason or "").strip() or REMOVING[action]
    if code not in R.values:
        raise ReasonInvalid(
            _("Choose a reason for the removal from the list."), field="removal_reason"
        )
    return code, _note(
        note, Comment.REMOVAL_NOTE_MAX, required=code == R.OTHER, field="removal_note"
    )


def removal_label(code: str) -> str:
    """The reason as its author reads it, in the active language."""
    return str(R(code).label) if code in R.values else str(R.OTHER.label)


def report_label(code: str) -> str:
    return (
        str(Flag.Reason(code).label) if code in Flag.Reason.values else str(Flag.Reason.OTHER.label)
    )
