"""Writes for readers' accounts."""

from django.db import transaction

from meydan.accounts.models import Profile
from meydan.accounts.pictures import picture_fetch
from meydan.accounts.providers import profile_from_social_account
from meydan.accounts.tokens import widget_tokens_revoke_for_user
from meydan.comments import services as comment_services
from meydan.core import sealing


def profile_update_from_social(
    user, social_account, *, address: str = "", verified: bool = False
) -> Profile:
    """Refresh the reader's display name and picture from the provider they used,
    and their address (kept hashed and sealed, core.sealing) when it gave one."""
    data = profile_from_social_account(social_account)
    picture = picture_fetch(data.picture_url) if data.picture_url else None
    defaults = {"display_name": data.name, **({"picture": picture} if picture else {})}
    if address:
        stored = sealing.Stored.of(address)
        defaults |= {
            "email_hash": stored.hash,
            "email_sealed": stored.sealed,
            "email_verified": verified,
        }
    profile, _ = Profile.objects.update_or_create(user=user, defaults=defaults)
    return profile


def account_delete(user, *, keep_comments: bool, channel, actor=None) -> int:
    """Delete a reader's account, and either keep their comments as by "deleted user"
    or remove them (text erased; replies by others stay, under a placeholder).

    Returns how many comments were changed.
    """
    if actor is not None and actor.pk == user.pk:
        actor = None  # the account is gone when the erase is announced: nobody to name
    with transaction.atomic():
        if keep_comments:
            changed = comment_services.comments_anonymise_for_user(
                user, channel=channel, actor=actor
            )
        else:
            changed = comment_services.comments_remove_for_user(user, channel=channel, actor=actor)
        comment_services.votes_unlink_for_user(user)
        user.delete()  # cascades to social accounts, email addresses, profile, MFA
    return changed


def account_sign_out_everywhere(user) -> bool:
    """Every widget token of the reader stops working, and so does every Meydan
    session of theirs. Returns False when other sessions could not be ended (an
    account with a password: changing it does that).

    Django checks each session against a hash of the account's password. A reader
    who signs in with a provider has none, only an unusable marker; a new random
    marker is that account's "password change", and ends every session at once
    (the caller logs the current one out as well)."""
    widget_tokens_revoke_for_user(user)
    if user.has_usable_password():
        return False
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return True
