"""Preset roles (spec §1), loaded by a migration; administrators may edit or add roles."""

# code, name, read scope, write scope, unmask scope, is_admin
ROLES = [
    ("admin", "管理员", "company", "company", "visible", True),
    ("manager", "部门负责人", "department", "department", "visible", False),
    ("sales", "销售（客户经理）", "own", "own", "editable", False),
    ("service", "客服", "company", "own", "visible", False),
    ("marketing", "市场", "company", "own", "none", False),
    ("data_steward", "数据专员", "company", "company", "visible", False),
]


def load_roles(role_model) -> None:
    for code, name, read, write, unmask, is_admin in ROLES:
        role_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "read_scope": read,
                "write_scope": write,
                "unmask_scope": unmask,
                "is_admin": is_admin,
            },
        )
