"""The public pages of customers' own requests: the form, the request's own page with
its identity-check code, and the one-time disclosure."""

import base64
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from customers.fields import label
from datarequests import services
from datarequests.forms import DataRequestForm, VerificationCodeForm
from datarequests.models import DataRequest, DisclosureLink
from vault import limits

DISCLOSURE_SESSION_KEY = "policy_disclosure_token"
# The public form's limit per address and hour, declared with its reason in vault.limits.
REQUESTS_PER_HOUR = limits.DATA_REQUESTS.number
DUPLICATE_MESSAGE = _(
    "このメールアドレスから同じ種類のご請求を受け付けていて、まだ対応中です。"
    "重ねてご請求いただく必要はありません。"
)


@require_http_methods(["GET", "POST"])
def data_request(request):
    """A customer asks about their own information (Article 6): the same answer whether or
    not the address is a customer's; the code goes only to an address the shop holds."""
    form = DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            received = services.receive_data_request(request, **form.cleaned_data)
        except services.TooManyDataRequests:
            return render(request, "datarequests/request_limited.html", status=429)
        except services.DuplicateDataRequest:
            form.add_error(None, DUPLICATE_MESSAGE)
        else:
            return redirect(received.page_path)
    return render(request, "datarequests/request_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def data_request_done(request, token):
    """The request's own page: its reference number and the identity-check code form.

    It survives a reload (its address holds only a signed token of the reference), and a
    code typed into it is answered by a redirect back to it (Post/Redirect/Get).
    """
    data_request = services.request_for_token(token)
    if data_request is None:
        return render(request, "datarequests/request_invalid.html", status=404)
    form = VerificationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.verify_data_request(request, data_request, form.cleaned_data["code"])
        return redirect(request.path)
    context = {
        "form": form,
        "data_request": data_request,
        "reference": data_request.reference,
        "tries_left": DataRequest.CODE_ATTEMPTS - data_request.code_attempts,
    }
    return render(request, "datarequests/request_done.html", context)


def disclosure_link(request, token):
    """The mailed download link: keep the token in the session, off the address bar."""
    link = DisclosureLink.find(token)
    if link is None:
        return render(request, "datarequests/disclosure_invalid.html", status=404)
    request.session[DISCLOSURE_SESSION_KEY] = token
    return redirect("datarequests:disclosure")


@never_cache
@require_http_methods(["GET", "POST"])
def disclosure(request):
    """The customer's own data, once: GET explains and offers the button (a mail scanner
    following the link spends nothing); POST spends the link and shows the printable
    answer with its JSON. A used or expired link gets a clear page and changes nothing."""
    link = DisclosureLink.find(request.session.get(DISCLOSURE_SESSION_KEY))
    if link is None:
        return render(request, "datarequests/disclosure_invalid.html", status=404)
    if not link.is_usable:
        return render(request, "datarequests/disclosure_spent.html", status=410)
    context = {"reference": link.data_request.reference, "expires_at": link.expires_at}
    if request.method == "GET":
        return render(request, "datarequests/disclosure.html", context)
    answer = services.open_disclosure(request, link)
    request.session.pop(DISCLOSURE_SESSION_KEY, None)
    if answer is None:
        return render(request, "datarequests/disclosure_spent.html", status=410)
    profile = [(label(field), value) for field, value in answer["profile"].items()]
    context = {"answer": answer, "profile": profile, "json_href": json_data_url(answer)}
    return render(request, "datarequests/disclosure_answer.html", context)


def json_data_url(answer):
    """The answer as a JSON file inside the page (a data: link), so that the one use
    gives both the printable page and the machine-readable file."""
    text = json.dumps(answer, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    return "data:application/json;base64," + base64.b64encode(text.encode()).decode()
