import secrets

from django.db import migrations, models

import assessments.models.assessments


def fill_tokens(apps, schema_editor):
    Invitation = apps.get_model("assessments", "Invitation")
    for invitation in Invitation.objects.filter(token__isnull=True):
        invitation.token = secrets.token_urlsafe(32)
        invitation.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_validator_args")]

    operations = [
        migrations.AddField("invitation", "token", models.CharField(max_length=64, null=True, editable=False)),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            "invitation", "token",
            models.CharField(max_length=64, unique=True, default=assessments.models.assessments._new_token, editable=False),
        ),
        migrations.AddField("invitation", "link_expires_at", models.DateTimeField(null=True, blank=True, help_text="The link stops working after this.")),
        migrations.AddField("invitation", "link_used_at", models.DateTimeField(null=True, blank=True)),
        migrations.AddField("invitation", "available_from", models.DateTimeField(null=True, blank=True, help_text="The attempt cannot start before this.")),
        migrations.AlterField("invitation", "available_until", models.DateTimeField(null=True, blank=True, help_text="The attempt cannot start after this.")),
        migrations.AddField("invitation", "sent_at", models.DateTimeField(null=True, blank=True)),
        migrations.AddField("invitation", "send_count", models.PositiveSmallIntegerField(default=0)),
    ]
