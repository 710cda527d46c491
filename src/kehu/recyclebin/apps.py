from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecycleBinConfig(AppConfig):
    name = "kehu.recyclebin"
    label = "recyclebin"
    verbose_name = _("Recycle bin")

    def ready(self):
        from kehu.core.crypto.rotation import register_sealed_bytes
        from kehu.recyclebin.services import sealed_context

        # Snapshots are sealed with encrypt_bytes: `kehu rotate_keys` re-encrypts them too.
        register_sealed_bytes(
            "recyclebin.DeletedRecord",
            "payload",
            context_columns=("model", "object_id"),
            context=sealed_context,
        )
