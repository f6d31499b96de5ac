"""Re-authentication before a dangerous action, renewing one's recovery codes, and a new
person's page for choosing their password from their invitation."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import invites, twofactor
from accounts.backends import is_locked_out
from accounts.notices import tell_about_account_change
from accounts.reauth import mark_reauthenticated, require_recent_auth
from accounts.signin import lockout_page
from audit.actions import Action
from audit.ledger import record


class ReauthForm(forms.Form):
    """The password, and a second-factor code for people who have an authenticator."""

    password = forms.CharField(label=_("パスワード"), widget=forms.PasswordInput)
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        self.needs_code = twofactor.has_authenticator(request.user)
        if not self.needs_code:
            del self.fields["code"]

    def clean_password(self):
        user = authenticate(
            self.request,
            username=self.request.user.get_username(),
            password=self.cleaned_data["password"],
        )
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError(_("パスワードが正しくありません。"))
        return ""

    def clean(self):
        cleaned = super().clean()
        # The code is checked (and spent) only once the password is right.
        if self.needs_code and not self.errors:
            device = twofactor.verify_second_factor(
                self.request.user, cleaned.get("code"), "reauth", self.request
            )
            if device is None:
                self.add_error("code", _("確認コードが正しくないか、すでに使われています。"))
        return cleaned


def safe_next(request, default="admin:index"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@never_cache
@sensitive_post_parameters()
@login_required
def reauth(request):
    """Ask for the password (and second factor) again before a dangerous action."""
    form = ReauthForm(request, request.POST or None)
    again = pressed_a_button(request)
    if request.method == "POST" and form.is_valid():
        mark_reauthenticated(request)
        if again:
            messages.info(request, _("パスワードを確認しました。もう一度ボタンを押してください。"))
        return redirect(safe_next(request))
    if is_locked_out(request):  # the same limit as signing in: 5 wrong passwords
        return lockout_page(request)
    context = {
        **admin.site.each_context(request),
        "form": form,
        "next": safe_next(request, ""),
        "again": again,
    }
    return render(request, "accounts/reauth.html", context)


def pressed_a_button(request):
    """Whether the prompt interrupts a button (a POST that was not done, see
    accounts.reauth.reauth_redirect): it is then pressed again, not replayed."""
    return (request.POST.get("again") or request.GET.get("again")) == "1"


@require_recent_auth
def recovery_codes(request):
    """Replace one's recovery codes with ten new ones (after re-authentication)."""
    if not twofactor.has_authenticator(request.user):
        raise Http404
    codes = None
    if request.method == "POST":
        with transaction.atomic():
            codes = twofactor.new_recovery_codes(request.user)
            record(Action.RECOVERY_CODES_RENEWED, request=request, target=request.user)
            tell_about_account_change(request.user, Action.RECOVERY_CODES_RENEWED)
    context = {**admin.site.each_context(request), "codes": codes, "title": _("復旧コード")}
    return render(request, "accounts/recovery_codes.html", context)


# The token moves from the link into the session, and the page's address no longer holds
# it (as Django's password reset does): a Referer or a shared screen then carries no key.
INVITE_SESSION_KEY = "shopguard_invite_token"
INVITE_FORM_TOKEN = "set-password"


@never_cache
@sensitive_post_parameters()
def invite(request, uidb64, token):
    """A new person chooses their own password from the one-time link of their invite."""
    person = invites.invited_person(uidb64)
    if token != INVITE_FORM_TOKEN:
        if invites.links.state(person, token) == invites.VALID:
            request.session[INVITE_SESSION_KEY] = token
            return redirect("accounts:invite", uidb64, INVITE_FORM_TOKEN)
        return invite_refused(request, invites.links.state(person, token))
    state = invites.links.state(person, request.session.get(INVITE_SESSION_KEY, ""))
    if state != invites.VALID:
        return invite_refused(request, state)
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invites.set_own_password(request, person, form, request.session[INVITE_SESSION_KEY])
        except invites.InviteUsed:
            return invite_refused(request, invites.USED)
        del request.session[INVITE_SESSION_KEY]
        messages.success(
            request,
            _("パスワードを設定しました。サインインして、二要素認証を設定してください。"),
        )
        return redirect("admin:login")
    context = {**admin.site.each_context(request), "form": form, "person": person}
    return render(request, "accounts/invite.html", context)


def invite_refused(request, state):
    context = {**admin.site.each_context(request), "state": state}
    return render(request, "accounts/invite_refused.html", context, status=410)
