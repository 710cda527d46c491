"""`get_FOO_display()` from a cached dict (core.models.ChoiceLabelsMixin) says exactly what
Django's own says, for every choice field of every model that uses it, in both languages."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from kehu.core.models import ChoiceLabelsMixin

UNKNOWN = "no-such-choice"


def _choice_fields():
    for model in apps.get_models():
        if not issubclass(model, ChoiceLabelsMixin):
            continue
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def test_there_are_choice_fields_to_check():
    assert len(list(_choice_fields())) >= 20


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_choice_label_equals_djangos_own(language):
    checked = 0
    with translation.override(language):
        for model, field in _choice_fields():
            values = [value for value, _label in field.flatchoices] + [UNKNOWN, None]
            for value in values:
                row = model()
                setattr(row, field.attname, value)
                ours = getattr(row, f"get_{field.name}_display")()
                djangos = models.Model._get_FIELD_display(row, field)
                assert ours == djangos, (model, field.name, value)
                assert type(ours) is type(djangos)
                checked += 1
    assert checked > 100


def test_the_label_follows_the_active_language():
    from kehu.customers.models import Customer

    customer = Customer(status="prospect")
    with translation.override("en"):
        english = customer.get_status_display()
    with translation.override("zh-hans"):
        chinese = customer.get_status_display()
    assert english != chinese
    assert (english, chinese) == ("Prospect", "潜在客户")
