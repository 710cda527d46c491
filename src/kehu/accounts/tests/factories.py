from dataclasses import dataclass

import factory

from kehu.accounts.models import Department, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Kehu-2026")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(Role.objects.filter(code__in=extracted))
        if create:
            self.save()


def make_user(username: str, *, department=None, roles=(), superior=None, full_name=""):
    return UserFactory(
        username=username,
        department=department,
        roles=list(roles),
        superior=superior,
        full_name=full_name or username,
    )


@dataclass
class Org:
    hq: Department
    sales: Department
    east: Department
    north: Department
    service_dept: Department
    marketing_dept: Department
    owner: User
    teammate: User
    manager: User
    outsider: User
    administrator: User
    service: User
    marketing: User
    steward: User


def build_org() -> Org:
    hq = Department.objects.create(name="总公司")
    sales = Department.objects.create(name="销售部", parent=hq)
    east = Department.objects.create(name="华东销售组", parent=sales)
    north = Department.objects.create(name="华北销售组", parent=sales)
    service_dept = Department.objects.create(name="客服部", parent=hq)
    marketing_dept = Department.objects.create(name="市场部", parent=hq)
    manager = make_user("manager", department=sales, roles=["manager", "sales"], full_name="王经理")
    sales.head = manager
    sales.save()
    owner = make_user("owner", department=east, roles=["sales"], superior=manager, full_name="张三")
    teammate = make_user(
        "teammate", department=east, roles=["sales"], superior=manager, full_name="李四"
    )
    outsider = make_user("outsider", department=north, roles=["sales"], full_name="赵六")
    administrator = make_user(
        "administrator", department=hq, roles=["admin"], full_name="系统管理员"
    )
    service = make_user("service", department=service_dept, roles=["service"], full_name="客服小周")
    marketing = make_user(
        "marketing", department=marketing_dept, roles=["marketing"], full_name="市场小吴"
    )
    steward = make_user("steward", department=hq, roles=["data_steward"], full_name="数据专员小孙")
    return Org(
        hq=hq,
        sales=sales,
        east=east,
        north=north,
        service_dept=service_dept,
        marketing_dept=marketing_dept,
        owner=owner,
        teammate=teammate,
        manager=manager,
        outsider=outsider,
        administrator=administrator,
        service=service,
        marketing=marketing,
        steward=steward,
    )
