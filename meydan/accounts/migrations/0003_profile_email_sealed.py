"""Readers' addresses leave allauth's tables: the Profile gets a keyed hash, a sealed
copy and whether the provider verified it (0004 moves the addresses). Two migrations,
so that on PostgreSQL the index exists before the data changes in the same
transaction would block it ("pending trigger events")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_widget_token"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="email_hash",
            field=models.CharField(blank=True, db_index=True, max_length=32),
        ),
        migrations.AddField(
            model_name="profile",
            name="email_sealed",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="profile",
            name="email_verified",
            field=models.BooleanField(default=False),
        ),
    ]
