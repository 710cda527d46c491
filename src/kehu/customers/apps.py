from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Cache invalidation only (no business logic): the set of sensitive custom-field keys
        # decides what Customer.custom_fields encrypts on the next write.
        from django.db.models.signals import post_delete, post_save

        from kehu.customers.models import CustomFieldDefinition
        from kehu.customers.sensitive import forget_sensitive_custom_keys

        for signal in (post_save, post_delete):
            signal.connect(
                forget_sensitive_custom_keys,
                sender=CustomFieldDefinition,
                dispatch_uid="customers.forget_sensitive_custom_keys",
            )
