"""Celery application: a real worker on the embedded file-system broker by default."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

app = Celery("kehu")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py, and the tasks.py of the packages inside data quality (the importer and
# the duplicate finder), which autodiscovery would not look into on its own.
app.autodiscover_tasks()
app.autodiscover_tasks(["kehu.dataquality.imports", "kehu.dataquality.duplicates"])
