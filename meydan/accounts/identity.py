"""Who is posting: a guest (form fields) or a signed-in reader (session)."""

from dataclasses import dataclass

from django.urls import reverse

from meydan.accounts.models import Profile
from meydan.accounts.providers import provider_label_for_id
from meydan.comments.avatars import avatar_key
from meydan.core import sealing

SESSION_PROVIDER_KEY = "meydan_signin_provider"


@dataclass(frozen=True)
class Commenter:
    """A signed-in reader as their comments show them."""

    user: object
    display_name: str
    provider_id: str  # "" for a local (staff) account
    provider_name: str
    picture_key: str  # a stored Picture's key, or ""
    # Their address as kept (core.sealing): this process may not be able to open it.
    email_stored: sealing.Stored = sealing.Stored()

    @property
    def has_address(self) -> bool:
        """Whether email can reach this reader (a passkey account has no address)."""
        return bool(self.email_stored) or bool(getattr(self.user, "email", ""))

    @property
    def picture_url(self) -> str:
        if self.picture_key:
            return reverse("accounts:picture", args=[self.picture_key])
        hashed = self.email_stored.hash or sealing.email_hash(getattr(self.user, "email", ""))
        key = avatar_key(email=hashed, name=self.display_name)
        return reverse("accounts:avatar", args=[key])

    def as_me(self) -> dict:
        """What the widget and the API show of the signed-in reader ("who am I")."""
        return {
            "signed_in": True,
            "name": self.display_name,
            "picture": self.picture_url,
            "provider": self.provider_id or None,
            "provider_name": self.provider_name or None,
        }

    def as_author(self):
        """The author of a comment this reader posts (comments.services.Author)."""
        from meydan.comments.services import Author

        return Author(
            name=self.display_name,
            # Staff keep their address on their account; readers', on their Profile.
            email=getattr(self.user, "email", "") or "",
            stored_email=self.email_stored,
            user=self.user,
            provider=self.provider_id,
            picture=self.picture_key,
        )


def profile_for_user(user) -> Profile:
    profile = Profile.objects.filter(user=user).select_related("picture").first()
    if profile is None:
        name = (user.get_full_name() or user.get_username() or "Reader")[:100]
        profile, _ = Profile.objects.get_or_create(user=user, defaults={"display_name": name})
    return profile


def commenter_for_request(request) -> Commenter | None:
    """The signed-in reader (session), or None for a guest."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return commenter_for_user(user, provider_id=request.session.get(SESSION_PROVIDER_KEY, ""))


def commenter_for_user(user, *, provider_id: str) -> Commenter:
    profile = profile_for_user(user)
    provider_name = provider_label_for_id(provider_id) if provider_id else ""
    return Commenter(
        user=user,
        display_name=profile.display_name,
        provider_id=provider_id,
        provider_name=provider_name,
        picture_key=profile.picture.key if profile.picture_id else "",
        email_stored=profile.email_stored,
    )


def user_display(user) -> str:
    """How allauth names a user in its messages ("Successfully signed in as …"): the
    reader's display name, never an internal username such as a passkey account's."""
    profile = Profile.objects.filter(user=user).only("display_name").first()
    if profile is not None and profile.display_name:
        return profile.display_name
    return user.get_username() or str(user)
