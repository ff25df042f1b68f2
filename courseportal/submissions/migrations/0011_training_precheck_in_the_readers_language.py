from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0010_document_reading'),
    ]

    operations = [
        migrations.AddField(
            model_name='trainingjob',
            name='precheck_feedback_i18n',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
