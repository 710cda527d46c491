"""The public web-to-lead page (/sales/web-to-lead/<token>/): no login, embeddable in an
iframe by the sites the form allows, protected against spam (sales.webtolead)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kehu.core.api import client_ip
from kehu.sales import webtolead
from kehu.sales.forms import WebToLeadPublicForm
from kehu.sales.models import WebToLeadForm
from kehu.sales.services.leads import lead_create


def _render(request, web_form, form, *, status=200, sent=False, refused=""):
    response = render(
        request,
        "sales/web_to_lead.html",
        {"web_form": web_form, "form": form, "sent": sent, "refused": refused},
        status=status,
    )
    response["Content-Security-Policy"] = webtolead.frame_ancestors(web_form)
    return response


# No CSRF cookie: inside another site's iframe it is a third-party cookie that browsers drop.
# The signed stamp, the origin check and the rate limit stand in for it; there is no session
# to ride on, and the only effect of a post is a new lead.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def web_to_lead(request: HttpRequest, token: str) -> HttpResponse:
    web_form = (
        WebToLeadForm.objects.filter(token=token, is_active=True).select_related("owner").first()
    )
    if web_form is None:
        raise Http404
    if request.method == "GET":
        form = WebToLeadPublicForm(initial={"stamp": webtolead.stamp(web_form)})
        return _render(request, web_form, form)
    form = WebToLeadPublicForm(request.POST)
    try:
        webtolead.check_rate(client_ip(request))
        webtolead.check_origin(
            web_form, request.headers.get("Origin"), f"{request.scheme}://{request.get_host()}"
        )
        webtolead.check_honeypot(request.POST.get("website", ""))
        webtolead.check_stamp(web_form, request.POST.get("stamp", ""))
    except webtolead.Refused as refusal:
        fresh = WebToLeadPublicForm(
            initial={**request.POST.dict(), "stamp": webtolead.stamp(web_form), "website": ""}
        )
        return _render(request, web_form, fresh, status=refusal.status, refused=refusal.message)
    if form.is_valid():
        try:
            lead_create(
                by=None,
                data={**form.lead_data(), "source": web_form.source},
                web_form=web_form,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return _render(request, web_form, None, sent=True)
    # A fresh stamp: the visitor corrects the fields and sends again.
    form.data = form.data.copy()
    form.data["stamp"] = webtolead.stamp(web_form)
    return _render(request, web_form, form, status=400)
