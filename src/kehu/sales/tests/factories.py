from kehu.sales.models import PipelineStage
from kehu.sales.services.leads import lead_create
from kehu.sales.services.opportunities import opportunity_create


def stage(code: str) -> PipelineStage:
    return PipelineStage.objects.get(code=code)


def make_lead(*, owner, by=None, **overrides):
    data = {
        "name": "陈静",
        "company": "杭州西湖电子商务有限公司",
        "title": "采购经理",
        "mobile": "13900001111",
        "email": "chenjing@example.com",
        "source": "website",
        "notes": "官网留言：想了解报价",
    }
    data.update(overrides)
    return lead_create(by=by or owner, data=data, owner=owner)


def make_opportunity(*, customer, by=None, owner=None, stage_code="initial_contact", **overrides):
    data = {"name": "MES 系统一期", "amount": 200000, "expected_close_date": None}
    data.update(overrides)
    return opportunity_create(
        by=by or customer.owner,
        customer=customer,
        data=data,
        stage=stage(stage_code),
        owner=owner or customer.owner,
    )
