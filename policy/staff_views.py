"""The shop's people's page of the house rules (``/admin/policy/rules/``): read the
version in force and accept it. Every person with a role may open it; accepting needs
no password again, only the ticked box (the reading is the point)."""

from django import forms
from django.conf import settings
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from policy import rules, services
from policy.models import HouseRulesVersion
from vault.access import vault_view


class AcceptRulesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("上のルールを読み、守ることに同意します。"),
        error_messages={"required": _("ルールを読んだら、チェックを入れてください。")},
    )


def page_language():
    return "en" if (get_language() or "").startswith("en") else "ja"


def safe_next(request, candidate):
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def rules_page(request, *, next_url="", form=None, status=200):
    """The rules in force with the accept form (also the gate's answer, status 403)."""
    version = HouseRulesVersion.objects.in_force()
    due = version is not None and rules.acceptance_due(request.user)
    context = {
        **_site_context(request),
        "title": _("所内ルール（顧客データの取り扱い）"),
        "version": version,
        "blocks": version.blocks(page_language()) if version else [],
        "due": due,
        "gated": status == 403,
        "last": rules.last_acceptance(request.user),
        "form": form or AcceptRulesForm(initial={"version": version.number if version else 0}),
        "next": next_url,
        "days": settings.RULES_ACCEPTANCE_DAYS,
    }
    return TemplateResponse(request, "policy/house_rules.html", context, status=status)


def _site_context(request):
    from django.contrib import admin

    return admin.site.each_context(request)


@vault_view()
@require_http_methods(["GET", "POST"])
def house_rules(request):
    """GET: the rules in force; POST: accept them (the version shown, with the box)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "GET":
        return rules_page(request, next_url=next_url)
    form = AcceptRulesForm(request.POST)
    version = HouseRulesVersion.objects.in_force()
    if not form.is_valid() or version is None:
        return rules_page(request, next_url=next_url, form=form, status=400)
    if form.cleaned_data["version"] != version.number:
        # A newer version was published while the page was open: show it instead.
        form.add_error(None, _("ルールが更新されました。新しい版を読んでから同意してください。"))
        return rules_page(request, next_url=next_url, form=form, status=409)
    services.accept_rules(request.user, version, request=request)
    return redirect(safe_next(request, next_url))
