"""Public pages: the policy and its versions, comparisons, consent links, data requests."""

import base64
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from customers.fields import label
from policy import services
from policy.content import compare_articles, localised_articles
from policy.forms import DataRequestForm, VerificationCodeForm
from policy.models import (
    ConsentInvitation,
    DataRequest,
    DisclosureLink,
    PolicyVersion,
    ShopProfile,
)
from shopguard import limits

CONSENT_SESSION_KEY = "policy_consent_token"
DISCLOSURE_SESSION_KEY = "policy_disclosure_token"
# The public form's limit per address and hour, declared with its reason in shopguard.limits.
REQUESTS_PER_HOUR = limits.DATA_REQUESTS.number
DUPLICATE_MESSAGE = _(
    "このメールアドレスから同じ種類のご請求を受け付けていて、まだ対応中です。"
    "重ねてご請求いただく必要はありません。"
)


def page_language():
    return "en" if (get_language() or "").startswith("en") else "ja"


def get_published_version(number):
    """A published version by number; drafts and unknown numbers are 404."""
    return get_object_or_404(PolicyVersion.objects.published(), number=number)


def current(request):
    """The policy in effect today."""
    version = PolicyVersion.objects.current()
    if version is None:
        raise Http404
    return render_version(request, version, version)


def version_detail(request, number):
    """One published version, current or not."""
    return render_version(request, get_published_version(number), PolicyVersion.objects.current())


def render_version(request, version, current_version):
    language = page_language()
    newest = PolicyVersion.objects.consent_target()
    asks_consent = version == newest and version.material_change
    context = {
        "version": version,
        "current_version": current_version,
        "upcoming": newest if newest.number > current_version.number else None,
        "articles": localised_articles(version.articles, language),
        "change_summary": version.change_summary(language),
        "profile": ShopProfile.load().localised(language),
        "asks_consent": asks_consent,
        "previous": version.previous() if asks_consent else None,
    }
    return render(request, "policy/version.html", context)


def history(request):
    """Every published version, newest first, with links to compare each to the one before."""
    language = page_language()
    versions = list(PolicyVersion.objects.published().order_by("-number"))
    rows = []
    for index, version in enumerate(versions):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        rows.append(
            {"version": version, "summary": version.change_summary(language), "previous": previous}
        )
    return render(request, "policy/history.html", {"rows": rows, "versions": versions})


def compare_select(request):
    """The history page's form: turn ?a=&b= into the comparison's own address."""
    try:
        a, b = int(request.GET["a"]), int(request.GET["b"])
    except (KeyError, ValueError):
        return redirect("privacy:history")
    return redirect("privacy:compare", a=a, b=b)


def compare(request, a, b):
    """What changed from version ``a`` to version ``b``, article by article."""
    old, new = get_published_version(a), get_published_version(b)
    changes = compare_articles(old.articles, new.articles, page_language())
    context = {
        "old": old,
        "new": new,
        "changes": changes,
        "changed": [change for change in changes if change.changed],
    }
    return render(request, "policy/compare.html", context)


def consent_link(request, token):
    """A customer's one-time link: keep the token in the session, off the address bar."""
    if ConsentInvitation.find_valid(token) is None:
        return render(request, "policy/consent_invalid.html", status=404)
    request.session[CONSENT_SESSION_KEY] = token
    return redirect("privacy:consent")


@require_http_methods(["GET", "POST"])
def consent(request):
    """Show the version the customer is asked to agree to, and record their agreement."""
    invitation = ConsentInvitation.find_valid(request.session.get(CONSENT_SESSION_KEY))
    if invitation is None:
        return render(request, "policy/consent_invalid.html", status=404)
    version = invitation.version
    if request.method == "POST":
        accepted = services.accept_invitation(request, invitation)
        request.session.pop(CONSENT_SESSION_KEY, None)
        if accepted is None:
            return render(request, "policy/consent_invalid.html", status=404)
        return render(request, "policy/consent_done.html", {"version": version})
    language = page_language()
    context = {
        "version": version,
        "articles": localised_articles(version.articles, language),
        "change_summary": version.change_summary(language),
        "previous": version.previous(),
    }
    return render(request, "policy/consent.html", context)


@require_http_methods(["GET", "POST"])
def data_request(request):
    """A customer asks about their own information (Article 6): the same answer whether or
    not the address is a customer's; the code goes only to an address the shop holds."""
    form = DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            received = services.receive_data_request(request, **form.cleaned_data)
        except services.TooManyDataRequests:
            return render(request, "policy/request_limited.html", status=429)
        except services.DuplicateDataRequest:
            form.add_error(None, DUPLICATE_MESSAGE)
        else:
            return redirect(received.page_path)
    return render(request, "policy/request_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def data_request_done(request, token):
    """The request's own page: its reference number and the identity-check code form.

    It survives a reload (its address holds only a signed token of the reference), and a
    code typed into it is answered by a redirect back to it (Post/Redirect/Get).
    """
    data_request = services.request_for_token(token)
    if data_request is None:
        return render(request, "policy/request_invalid.html", status=404)
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
    return render(request, "policy/request_done.html", context)


def disclosure_link(request, token):
    """The mailed download link: keep the token in the session, off the address bar."""
    link = DisclosureLink.find(token)
    if link is None:
        return render(request, "policy/disclosure_invalid.html", status=404)
    request.session[DISCLOSURE_SESSION_KEY] = token
    return redirect("privacy:disclosure")


@never_cache
@require_http_methods(["GET", "POST"])
def disclosure(request):
    """The customer's own data, once: GET explains and offers the button (a mail scanner
    following the link spends nothing); POST spends the link and shows the printable
    answer with its JSON. A used or expired link gets a clear page and changes nothing."""
    link = DisclosureLink.find(request.session.get(DISCLOSURE_SESSION_KEY))
    if link is None:
        return render(request, "policy/disclosure_invalid.html", status=404)
    if not link.is_usable:
        return render(request, "policy/disclosure_spent.html", status=410)
    context = {"reference": link.data_request.reference, "expires_at": link.expires_at}
    if request.method == "GET":
        return render(request, "policy/disclosure.html", context)
    answer = services.open_disclosure(request, link)
    request.session.pop(DISCLOSURE_SESSION_KEY, None)
    if answer is None:
        return render(request, "policy/disclosure_spent.html", status=410)
    profile = [(label(field), value) for field, value in answer["profile"].items()]
    context = {"answer": answer, "profile": profile, "json_href": json_data_url(answer)}
    return render(request, "policy/disclosure_answer.html", context)


def json_data_url(answer):
    """The answer as a JSON file inside the page (a data: link), so that the one use
    gives both the printable page and the machine-readable file."""
    text = json.dumps(answer, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    return "data:application/json;base64," + base64.b64encode(text.encode()).decode()
