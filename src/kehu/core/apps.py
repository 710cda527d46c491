from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kehu.core import (
            checks,  # noqa: F401 (registers the production checks)
            refcache,
        )
        from kehu.core.crypto import checks as crypto_checks  # noqa: F401 (the key check)

        refcache.connect()
