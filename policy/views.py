"""Public pages: the policy and its versions, comparisons, consent links."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from policy import register, services
from policy.content import compare_articles, localised_articles
from policy.models import ConsentInvitation, PolicyVersion, ShopProfile, ThirdPartyProvision

CONSENT_SESSION_KEY = "policy_consent_token"


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
        "register": register.statement(language),
        "asks_consent": asks_consent,
        "previous": version.previous() if asks_consent else None,
        "retention": retention_periods(),
    }
    return render(request, "policy/version.html", context)


def retention_periods():
    """How long each kind of record is kept, from the settings ``apply_retention`` reads
    (upkeep/retention.py): the policy shows what the shop actually does."""
    return [
        (
            _("顧客の情報"),
            _("最後のご購入から%(n)s年（その後、匿名化）")
            % {"n": settings.RETENTION_CUSTOMER_YEARS},
        ),
        (
            _("購入履歴"),
            _("%(n)s年（税務書類の保存期間）") % {"n": settings.RETENTION_PURCHASE_YEARS},
        ),
        (_("第三者提供の記録"), _("%(n)s年") % {"n": ThirdPartyProvision.RETENTION_YEARS}),
        (
            _("開示等のご請求の記録"),
            _("対応の完了から%(n)s年") % {"n": settings.RETENTION_DATA_REQUEST_YEARS},
        ),
        (_("操作の記録（監査記録）"), _("%(n)s日") % {"n": settings.AUDIT_RETENTION_DAYS}),
    ]


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
