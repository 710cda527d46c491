"""The purpose notices a new installation starts with (seed 003 §4.1: "用于产品推荐与服务跟进");
administrators edit them or add new versions in the admin."""

from django.db import migrations

NOTICES = [
    (
        "service",
        "zh-hans",
        "我们收集您的姓名、职位、手机号码、电子邮箱和座机号码，仅用于业务联系与服务跟进。"
        "您可以随时要求查阅、复制、更正或删除您的个人信息。",
    ),
    (
        "marketing",
        "zh-hans",
        "经您同意，我们会使用您的手机号码和电子邮箱向您发送产品推荐与活动信息。"
        "您可以随时撤回同意，撤回不影响此前基于同意已进行的处理。",
    ),
    (
        "service",
        "en",
        "We collect your name, job title, mobile, email and landline only to do business with "
        "you and follow up on our service. You may ask to see, copy, correct or erase them.",
    ),
    (
        "marketing",
        "en",
        "With your consent we use your mobile number and email to send product "
        "recommendations and event news. You may withdraw your consent at any time.",
    ),
]


def add_notices(apps, schema_editor):
    PurposeNotice = apps.get_model("privacy", "PurposeNotice")
    for purpose, language, text in NOTICES:
        PurposeNotice.objects.get_or_create(
            purpose=purpose, version=1, language=language, defaults={"text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_consents_and_requests")]

    operations = [migrations.RunPython(add_notices, migrations.RunPython.noop)]
