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


def make_contract(*, customer, by=None, owner=None, **overrides):
    import datetime as dt

    from kehu.sales.services.contracts import contract_create

    data = {
        "title": "MES 系统实施合同",
        "amount": 100000,
        "signed_on": dt.date(2026, 1, 5),
        "starts_on": dt.date(2026, 1, 10),
        "ends_on": dt.date(2026, 12, 31),
    }
    data.update(overrides)
    return contract_create(
        by=by or customer.owner, customer=customer, data=data, owner=owner or customer.owner
    )


def make_order(*, customer, by=None, lines=None, **overrides):
    import datetime as dt

    from kehu.sales.services.orders import order_create

    data = {"ordered_on": dt.date(2026, 3, 1)}
    data.update(overrides)
    lines = lines or [
        {"product_name": "数控刀具套装", "sku": "DJ-100", "quantity": 2, "unit_price": 1500},
        {"product_name": "维保服务", "sku": "", "quantity": 1, "unit_price": 800},
    ]
    return order_create(by=by or customer.owner, customer=customer, data=data, lines=lines)
