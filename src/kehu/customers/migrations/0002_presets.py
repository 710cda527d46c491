from django.db import migrations


def forwards(apps, schema_editor):
    from kehu.customers.presets import INDUSTRIES, REGIONS, load_two_level

    load_two_level(apps.get_model("customers", "Industry"), INDUSTRIES)
    load_two_level(apps.get_model("customers", "Region"), REGIONS)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
