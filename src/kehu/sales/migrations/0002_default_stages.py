"""The default pipeline (spec §6); administrators rename, reorder or add stages afterwards."""

from django.db import migrations

STAGES = [
    # code, Chinese, English, probability %, won, lost
    ("initial_contact", "初步接洽", "Initial contact", 10, False, False),
    ("needs_confirmed", "需求确认", "Needs confirmed", 30, False, False),
    ("proposal", "方案报价", "Proposal and quote", 50, False, False),
    ("negotiation", "商务谈判", "Negotiation", 70, False, False),
    ("won", "赢单", "Won", 100, True, False),
    ("lost", "输单", "Lost", 0, False, True),
]


def forwards(apps, schema_editor):
    stage_model = apps.get_model("sales", "PipelineStage")
    for order, (code, zh, en, probability, won, lost) in enumerate(STAGES, start=1):
        stage_model.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "sort_order": order * 10,
                "probability": probability,
                "is_won": won,
                "is_lost": lost,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_leads_and_opportunities")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
