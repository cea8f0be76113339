from django.db import migrations, models


def positions_from_the_assessment(apps, schema_editor):
    """Existing responses take their question's place in the assessment."""
    Response = apps.get_model("assessments", "Response")
    AssessmentQuestion = apps.get_model("assessments", "AssessmentQuestion")
    order = {(i.assessment_id, i.question_id): i.order for i in AssessmentQuestion.objects.all()}
    for response in Response.objects.select_related("attempt"):
        response.position = order.get((response.attempt.assessment_id, response.question_id), 0)
        response.save(update_fields=["position"])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0006_question_status_metadata")]

    operations = [
        migrations.AddField("assessment", "shuffle_options", models.BooleanField(default=False, help_text="Each attempt gets its own option order (from its seed).")),
        migrations.AddField("assessment", "shuffle_questions", models.BooleanField(default=False, help_text="Each attempt gets its own order (from its seed).")),
        migrations.AddField("response", "position", models.PositiveSmallIntegerField(default=0, help_text="Where the question stands in this attempt.")),
        migrations.RunPython(positions_from_the_assessment, migrations.RunPython.noop),
    ]
