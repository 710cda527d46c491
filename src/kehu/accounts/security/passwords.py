"""Password rules with messages Kehu translates itself.

Django 5.2 reworded the "too short" message and its Chinese catalogue does not have the new
wording yet, so the message would show in English on a Chinese page.
"""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
