"""REST API v1: one router, each app registers its viewsets in its api.py."""

from rest_framework.routers import DefaultRouter

from kehu.accounts.api import register as register_accounts
from kehu.customers.api import register as register_customers

router = DefaultRouter()
register_accounts(router)
register_customers(router)

urlpatterns = router.urls
