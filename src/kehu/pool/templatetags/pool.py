"""``{% load pool %}``: the pool's actions on other apps' pages (the customer header)."""

from django import template

from kehu.core.permissions import can_return_to_pool, in_pool_customer_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def may_return_to_pool(context, customer) -> bool:
    """Whether the page's user may give `customer` back to the public pool (not when it is
    in the pool already)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    if in_pool_customer_ids([customer.pk]):
        return False
    return can_return_to_pool(user, customer)
