import datetime

from django.db import migrations

CONTENT_MODELS = [
    "section",
    "topic",
    "source",
    "pathpage",
    "pathstep",
    "notice",
    "question",
    "choice",
    "messagetemplate",
]


def fill_review_due(apps, schema_editor):
    for name in ("Topic", "PathPage", "MessageTemplate"):
        model = apps.get_model("guidance", name)
        for row in model.objects.filter(review_due__isnull=True):
            row.review_due = row.last_reviewed + datetime.timedelta(weeks=26)
            row.save(update_fields=["review_due"])


def create_editors_group(apps, schema_editor):
    """Editors may change the content, and nothing else: not users, not groups."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure ours exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="guidance", content_type__model__in=CONTENT_MODELS
        )
    )


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("guidance", "0004_review_dates"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(fill_review_due, migrations.RunPython.noop),
        migrations.RunPython(create_editors_group, remove_editors_group),
    ]
