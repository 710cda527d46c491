"""Sales pages: leads, opportunities (list, board, detail) and the public web-to-lead form."""

from kehu.sales.views.leads import (
    lead_convert,
    lead_create,
    lead_delete,
    lead_detail,
    lead_edit,
    lead_list,
    lead_status,
)
from kehu.sales.views.opportunities import (
    customer_opportunities,
    opportunity_board,
    opportunity_create,
    opportunity_detail,
    opportunity_edit,
    opportunity_list,
    opportunity_move,
)
from kehu.sales.views.public import web_to_lead

__all__ = [
    "customer_opportunities",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_detail",
    "lead_edit",
    "lead_list",
    "lead_status",
    "opportunity_board",
    "opportunity_create",
    "opportunity_detail",
    "opportunity_edit",
    "opportunity_list",
    "opportunity_move",
    "web_to_lead",
]
