"""Readers' addresses leave allauth's tables: each signed-in reader's address moves to
their Profile as a keyed hash and a sealed copy (core.sealing); the user's email,
its EmailAddress rows and the addresses in the provider's profile are cleared.
Staff accounts (who sign in with their address) keep theirs."""

from django.db import migrations


def move_addresses(apps, schema_editor):
    from meydan.core import sealing

    User = apps.get_model("auth", "User")
    Profile = apps.get_model("accounts", "Profile")
    EmailAddress = apps.get_model("account", "EmailAddress")
    SocialAccount = apps.get_model("socialaccount", "SocialAccount")
    readers = User.objects.filter(is_staff=False, is_superuser=False).filter(
        pk__in=SocialAccount.objects.values("user_id")
    )
    for user in readers.iterator():
        known = EmailAddress.objects.filter(user=user).order_by("-primary", "-verified").first()
        address = known.email if known is not None else user.email
        if address:
            profile, _ = Profile.objects.get_or_create(
                user=user, defaults={"display_name": (user.username or "Reader")[:100]}
            )
            profile.email_hash = sealing.email_hash(address)
            profile.email_sealed = sealing.seal(address)
            profile.email_verified = bool(known is not None and known.verified)
            profile.save(update_fields=["email_hash", "email_sealed", "email_verified"])
        EmailAddress.objects.filter(user=user).delete()
        if user.email:
            user.email = ""
            user.save(update_fields=["email"])
        for account in SocialAccount.objects.filter(user=user):
            account.extra_data = sealing.without_addresses(account.extra_data)
            account.save(update_fields=["extra_data"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_profile_email_sealed")]

    operations = [migrations.RunPython(move_addresses, migrations.RunPython.noop)]
