import django.core.validators
from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    Site = apps.get_model("meydan_sites", "Site")
    taken = set()
    for site in Site.objects.order_by("id"):
        base = slugify(site.name)[:50] or "site"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        site.slug = slug
        site.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("meydan_sites", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="site",
            name="slug",
            field=models.SlugField(max_length=60, null=True, db_index=False),
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="site",
            name="slug",
            field=models.SlugField(
                help_text="Names the site in the embed snippet (data-meydan-site) and the API.",
                max_length=60,
                unique=True,
                verbose_name="public key",
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="edit_window_minutes",
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text="How long authors may edit or delete their own comments; 0 turns it off.",
                validators=[django.core.validators.MaxValueValidator(10080)],
                verbose_name="edit window (minutes)",
            ),
        ),
    ]
