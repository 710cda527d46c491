"""Preset tag library (spec §3.3); administrators and the data steward extend it by approval."""

# tag type, Chinese, English, exclusive group, description
TAGS = [
    ("industry", "制造业", "Manufacturing", "", ""),
    ("industry", "服务业", "Services", "", ""),
    ("industry", "零售业", "Retail", "", ""),
    ("industry", "建筑业", "Construction", "", ""),
    ("industry", "软件和信息技术", "Software and IT", "", ""),
    ("need", "降低成本", "Cost reduction", "", ""),
    ("need", "提升效率", "Efficiency", "", ""),
    ("need", "合规性需求", "Compliance", "", ""),
    ("need", "多门店管理需求", "Multi-store management", "", ""),
    ("need", "数据安全", "Data security", "", ""),
    ("value", "高价值", "High value", "value_tier", "年预算>50万或复购频繁"),
    ("value", "中价值", "Medium value", "value_tier", ""),
    ("value", "低价值", "Low value", "value_tier", ""),
    ("risk", "流失风险", "Churn risk", "", ""),
    ("risk", "付款风险", "Payment risk", "credit", ""),
    ("risk", "信用良好", "Good credit", "credit", ""),
    ("risk", "曾投诉响应慢", "Complained about slow response", "", ""),
    ("channel", "偏好电话沟通", "Prefers phone", "", ""),
    ("channel", "偏好邮件沟通", "Prefers email", "", ""),
    ("channel", "偏好上门拜访", "Prefers visits", "", ""),
]


def load_tags(tag_model) -> None:
    for tag_type, zh, en, group, description in TAGS:
        tag_model.objects.update_or_create(
            tag_type=tag_type,
            name_zh=zh,
            defaults={
                "name_en": en,
                "exclusive_group": group,
                "description": description,
                "status": "approved",
            },
        )
