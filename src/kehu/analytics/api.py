"""Dashboard REST API: ``/api/v1/dashboard/``, every figure of the sales dashboard for the
caller's data scope (the same selector as the page)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from kehu.analytics.selectors import dashboard_figures
from kehu.core.api_schema import SingleObjectAutoSchema

MONEY = {"max_digits": 16, "decimal_places": 2}


class DashboardIndustrySliceSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Industry category; null: none set.")
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="The customer list behind the slice.")


class DashboardIndustrySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    slices = DashboardIndustrySliceSerializer(many=True)


class DashboardFunnelStepSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Customers at this step or a later one.")
    conversion = serializers.FloatField(allow_null=True, help_text="count / previous step's count")
    url = serializers.CharField()


class DashboardLostSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    url = serializers.CharField()


class DashboardFunnelSerializer(serializers.Serializer):
    steps = DashboardFunnelStepSerializer(many=True)
    lost = DashboardLostSerializer()


class DashboardStageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    probability = serializers.IntegerField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(**MONEY)
    url = serializers.CharField()


class DashboardPipelineSerializer(serializers.Serializer):
    stages = DashboardStageSerializer(many=True)
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(**MONEY)


class DashboardMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    won = serializers.IntegerField()
    won_amount = serializers.DecimalField(**MONEY)
    lost = serializers.IntegerField()
    lost_amount = serializers.DecimalField(**MONEY)
    won_url = serializers.CharField()
    lost_url = serializers.CharField()


class DashboardWonLostSerializer(serializers.Serializer):
    months = DashboardMonthSerializer(many=True)


class DashboardAmountSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class DashboardContractsExpiringSerializer(serializers.Serializer):
    within_days = serializers.IntegerField()
    count = serializers.IntegerField()
    amounts = DashboardAmountSerializer(many=True)
    url = serializers.CharField()


class DashboardPaymentsOverdueSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Contracts (not terminated) with an overdue instalment: the rows of `url`."
    )
    amounts = DashboardAmountSerializer(
        many=True, help_text="Outstanding on the overdue instalments (planned − received)."
    )
    url = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    industry = DashboardIndustrySerializer()
    funnel = DashboardFunnelSerializer()
    pipeline = DashboardPipelineSerializer()
    won_lost = DashboardWonLostSerializer()
    contracts_expiring = DashboardContractsExpiringSerializer()
    payments_overdue = DashboardPaymentsOverdueSerializer()


@extend_schema(tags=["analytics"])
class DashboardViewSet(viewsets.ViewSet):
    schema = SingleObjectAutoSchema()

    @extend_schema(
        responses=DashboardSerializer,
        summary="Dashboard figures for the records you may see",
        description=(
            "Customers by industry, the status funnel with conversion rates, the open pipeline "
            "by stage, won and lost opportunities per month (last 12), contracts ending within "
            "30 days and overdue payments. Each figure has the URL of the list it counts."
        ),
    )
    def list(self, request):
        return Response(DashboardSerializer(dashboard_figures(user=request.user)).data)


def register(router) -> None:
    router.register("dashboard", DashboardViewSet, basename="dashboard")
