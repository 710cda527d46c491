"""Tag library requests and approval, tagging rules and computed classification."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from kehu.interactions.services import interaction_create
from kehu.tags.classification import classification_compute, explain
from kehu.tags.models import CustomerClassification, CustomerTag, Tag, TagStatus
from kehu.tags.services import (
    customer_tag_add,
    customer_tag_remove,
    tag_approve,
    tag_reject,
    tag_request,
)


def _tag(name):
    return Tag.objects.get(name_zh=name)


def test_preset_library_has_all_five_types_in_both_languages(db):
    tags = Tag.objects.filter(status=TagStatus.APPROVED)
    assert {t.tag_type for t in tags} == {"industry", "need", "value", "risk", "channel"}
    assert all(t.name_en for t in tags)


def test_requested_tag_is_usable_only_after_approval(customer, owner, org):
    tag = tag_request(by=owner, tag_type="need", name_zh="跨境结算需求", reason="多家外贸客户提出")

    with pytest.raises(ValidationError) as info:
        customer_tag_add(customer=customer, tag=tag, by=owner)
    assert "tag" in info.value.message_dict

    tag_approve(tag=tag, by=org.steward)
    assert customer_tag_add(customer=customer, tag=tag, by=owner).added_by == owner


def test_rejected_tag_keeps_the_reason_and_stays_unusable(customer, owner, org):
    tag = tag_request(by=owner, tag_type="need", name_zh="跨境结算需求", reason="外贸客户")
    tag_reject(tag=tag, by=org.steward, reason="与“合规性需求”重复")

    tag.refresh_from_db()
    assert (tag.status, tag.review_note) == (TagStatus.REJECTED, "与“合规性需求”重复")
    with pytest.raises(ValidationError):
        customer_tag_add(customer=customer, tag=tag, by=owner)


def test_request_needs_a_reason_and_a_new_name(owner):
    with pytest.raises(ValidationError) as info:
        tag_request(by=owner, tag_type="value", name_zh="高价值", reason="")
    assert {"reason", "__all__"} <= set(info.value.message_dict)


def test_only_the_data_steward_or_administrator_reviews(owner, manager):
    tag = tag_request(by=owner, tag_type="need", name_zh="跨境结算需求", reason="外贸客户")
    with pytest.raises(PermissionDenied):
        tag_approve(tag=tag, by=manager)


def test_steward_cannot_approve_own_request(org):
    tag = tag_request(by=org.steward, tag_type="need", name_zh="跨境结算需求", reason="外贸客户")
    with pytest.raises(ValidationError):
        tag_approve(tag=tag, by=org.steward)
    tag.refresh_from_db()
    assert tag.status == TagStatus.PENDING


def test_conflicting_value_tiers_are_refused_with_both_names(customer, owner):
    customer_tag_add(customer=customer, tag=_tag("高价值"), by=owner)

    with pytest.raises(ValidationError) as info:
        customer_tag_add(customer=customer, tag=_tag("低价值"), by=owner)

    message = " ".join(info.value.message_dict["tag"])
    assert "低价值" in message
    assert "高价值" in message
    assert CustomerTag.objects.filter(customer=customer).count() == 1


def test_non_conflicting_tags_combine(customer, owner):
    for name in ("高价值", "降低成本", "提升效率", "偏好电话沟通"):
        customer_tag_add(customer=customer, tag=_tag(name), by=owner)
    assert CustomerTag.objects.filter(customer=customer).count() == 4


def test_same_tag_twice_is_refused(customer, owner):
    customer_tag_add(customer=customer, tag=_tag("降低成本"), by=owner)
    with pytest.raises(ValidationError):
        customer_tag_add(customer=customer, tag=_tag("降低成本"), by=owner)


def test_read_only_user_cannot_tag_or_untag(customer, owner, org):
    ct = customer_tag_add(customer=customer, tag=_tag("降低成本"), by=owner)
    with pytest.raises(PermissionDenied):
        customer_tag_add(customer=customer, tag=_tag("提升效率"), by=org.service)
    with pytest.raises(PermissionDenied):
        customer_tag_remove(customer_tag=ct, by=org.service)


@pytest.fixture
def log_calls(django_capture_on_commit_callbacks):
    """Log interactions and run what they enqueue on commit (the classification job)."""

    def log(customer, by, count, method="phone", days_ago=1):
        with django_capture_on_commit_callbacks(execute=True):
            _interactions(customer, by, count, method, days_ago)

    return log


def _interactions(customer, by, count, method, days_ago):
    for i in range(count):
        interaction_create(
            customer=customer,
            by=by,
            occurred_at=timezone.now() - dt.timedelta(days=days_ago, minutes=i),
            method=method,
            topic="回访",
            summary="电话回访",
            feedback="interested",
        )


def test_frequency_level_follows_the_interaction_count_with_its_reason(customer, owner, log_calls):
    log_calls(customer, owner, 12)

    classification = CustomerClassification.objects.get(customer=customer)
    assert classification.interaction_frequency == "high"
    with translation.override("en"):
        reasons = {dim: why for dim, _level, why in explain(classification)}
    assert "12" in reasons["Interaction frequency"]
    assert "90" in reasons["Interaction frequency"]


def test_old_interactions_do_not_count_and_the_level_drops(customer, owner, log_calls):
    log_calls(customer, owner, 5, days_ago=100)
    classification_compute(customer_ids=[customer.pk])
    assert CustomerClassification.objects.get(customer=customer).interaction_frequency == "low"


def test_channel_preference_is_the_most_used_method(customer, owner, log_calls):
    log_calls(customer, owner, 3, method="email")
    log_calls(customer, owner, 1, method="visit")

    classification = CustomerClassification.objects.get(customer=customer)
    assert classification.channel_preference == "email"
    assert classification.evidence["channel_n"] == 3


def test_budget_and_cooperation_levels(owner):
    from kehu.customers.tests.factories import make_customer

    big = make_customer(
        owner=owner,
        name="甲方科技有限公司",
        annual_budget=Decimal("600000"),
        status="customer",
        first_contact_date=dt.date(2020, 1, 1),
    )
    small = make_customer(owner=owner, name="乙方科技有限公司", annual_budget=Decimal("50000"))

    classification_compute()

    assert CustomerClassification.objects.get(customer=big).budget_level == "gt50w"
    assert CustomerClassification.objects.get(customer=big).cooperation_level == "gt3"
    assert CustomerClassification.objects.get(customer=small).budget_level == "lt10w"
    assert CustomerClassification.objects.get(customer=small).cooperation_level == "none"


def test_a_tie_between_methods_is_no_channel_preference(customer, owner, log_calls):
    log_calls(customer, owner, 2, method="email")
    log_calls(customer, owner, 2, method="visit")

    classification = CustomerClassification.objects.get(customer=customer)
    assert classification.channel_preference == ""
    with translation.override("en"):
        reasons = {dim: level for dim, level, _why in explain(classification)}
    assert reasons["Channel preference"] == "No clear preference"
