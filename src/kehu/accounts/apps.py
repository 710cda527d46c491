from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kehu.accounts"
    label = "accounts"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # Connects the user_logged_in receiver that marks a new session verified or not.
        from kehu.accounts.security import middleware  # noqa: F401
