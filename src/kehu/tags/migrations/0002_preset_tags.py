from django.db import migrations


def forwards(apps, schema_editor):
    from kehu.tags.presets import load_tags

    load_tags(apps.get_model("tags", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
