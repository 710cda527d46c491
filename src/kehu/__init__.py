"""Kehu (客户): an open-source CRM for small and mid-size companies."""

from .celery import app as celery_app

__all__ = ["celery_app"]
