"""REST API v1: one router, each app registers its viewsets in its api.py."""

from rest_framework.routers import DefaultRouter

from kehu.accounts.api import register as register_accounts
from kehu.analytics.api import register as register_analytics
from kehu.customers.api import register as register_customers
from kehu.dataquality.imports.api import register as register_imports
from kehu.interactions.api import register as register_interactions
from kehu.pool.api import register as register_pool
from kehu.privacy.api import register as register_privacy
from kehu.sales.api import register as register_sales
from kehu.segments.api import register as register_segments
from kehu.tags.api import register as register_tags

router = DefaultRouter()
register_accounts(router)
register_analytics(router)
register_customers(router)
register_imports(router)
register_interactions(router)
register_pool(router)
register_privacy(router)
register_sales(router)
register_segments(router)
register_tags(router)

urlpatterns = router.urls
