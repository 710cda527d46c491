"""The ``kehu`` console command: Django's manage.py with Kehu's own commands.

``kehu run`` serves the app with its worker and scheduler, ``kehu loaddemo`` loads the demo
company, and every other Django command works as ``kehu <command>``.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kehu", *sys.argv[1:]])


if __name__ == "__main__":
    main()
