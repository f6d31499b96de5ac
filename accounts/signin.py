"""Sign-in in two steps: the password, then the second factor (enrolled on first use).

Nobody is signed in until both steps are done: after the password the session only
remembers, for five minutes, whose password was right. Only then does Django's
``login()`` run, which gives the session a new key and fires ``user_logged_in``.
"""

import secrets
import time

import django_otp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import twofactor
from accounts.backends import is_locked_out
from vault import limits
from vault.roles import holds_a_role

PENDING_KEY = "shopguard_pending_sign_in"
# True on sessions signed in with a second factor, False on those signed in with the
# password alone (two-factor off, the demo). While two-factor sign-in is required only
# True opens the admin: a session made any other way has no flag and is refused too.
SECOND_FACTOR_KEY = "shopguard_second_factor"
# Five minutes to fetch the phone and type a code; after that, the password again.
PENDING_SECONDS = 5 * 60
# Five codes per pending sign-in (limits.SECOND_FACTOR_CODES, counted in the database so
# parallel tries share one count); then the password is asked again. Guessing across
# attempts gains nothing either: django-otp makes each device wait 1, 2, 4, 8 ... seconds
# after each consecutive failure (OTP_TOTP_THROTTLE_FACTOR), so 20 wrong codes cost days.


class SignInForm(AdminAuthenticationForm):
    """The admin's password form, refusing accounts without a ShopGuard role.

    Its refusal speaks the shop's words: Django's own speaks of "staff accounts", which
    mean nothing to the shop's people (and a role, not a staff flag, opens the admin).
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "ユーザー名またはパスワードが正しくありません。大文字と小文字は区別されます。"
        ),
    }

    def clean_username(self):
        # Django's form only sizes the box: a name longer than any account's is no account,
        # refused before any password check (and any count of guesses).
        username = self.cleaned_data.get("username") or ""
        if len(username) > self.fields["username"].max_length:
            raise self.get_invalid_login_error()
        return username

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not holds_a_role(user):
            raise self.get_invalid_login_error()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def start_pending(request, user, next_url):
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "at": time.time(),
        "next": next_url,
        "attempt": secrets.token_urlsafe(16),  # names this attempt's code count
    }


def pending_sign_in(request):
    """The half-finished sign-in of this session as (user, state), or (None, None)."""
    state = request.session.get(PENDING_KEY)
    if not state or "attempt" not in state or time.time() - state["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
    if user is None or not holds_a_role(user):
        request.session.pop(PENDING_KEY, None)
        return None, None
    return user, state


def _code_count(state):
    return (state["user"], state["attempt"])


def code_check_allowed(request, state):
    """Take one of the attempt's code checks before a code is checked; when none is left
    the attempt ends unchecked (False) and the password is needed again."""
    if limits.SECOND_FACTOR_CODES.reserve(_code_count(state)):
        return True
    request.session.pop(PENDING_KEY, None)
    return False


def attempt_over(request, state):
    """After a wrong code: True (ending the attempt) when it has no code check left."""
    if limits.SECOND_FACTOR_CODES.left(_code_count(state)) > 0:
        return False
    request.session.pop(PENDING_KEY, None)
    return True


def finish_sign_in(request, user, state, device):
    """Both factors given: sign in for real (new session key) and remember the device."""
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=state["backend"])
    if device is not None:
        django_otp.login(request, device)
    request.session[SECOND_FACTOR_KEY] = device is not None


def second_factor_confirmed(request):
    """True when this session was signed in with a second factor that still stands: the
    sign-in said so, and django-otp still verifies its device (a reset deletes it)."""
    if request.session.get(SECOND_FACTOR_KEY) is not True:
        return False
    is_verified = getattr(request.user, "is_verified", None)
    return is_verified is not None and is_verified()


def admin_context(request, **extra):
    return {**admin.site.each_context(request), "has_permission": False, **extra}


def lockout_page(request):
    """The answer to a password guess that met the lockout (accounts.backends): a page
    saying how many failures lock a name and for how long, status 429."""
    context = {
        "failures": settings.SHOPGUARD_SIGN_IN_FAILURES,
        "minutes": settings.SHOPGUARD_SIGN_IN_LOCKOUT_MINUTES,
    }
    return render(request, "accounts/lockout.html", context, status=429)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class SignInView(LoginView):
    """Step one: the password. Sends people who need a second factor to step two; a name
    locked out by its failed passwords gets the lockout page instead of the form."""

    authentication_form = SignInForm
    template_name = "admin/login.html"

    def form_invalid(self, form):
        if is_locked_out(self.request):
            return lockout_page(self.request)
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.second_factor_required(user):
            response = super().form_valid(form)
            self.request.session[SECOND_FACTOR_KEY] = False
            return response
        start_pending(self.request, user, self.get_success_url())
        if twofactor.has_authenticator(user):
            return redirect("accounts:two_factor")
        return redirect("accounts:two_factor_setup")


def restart(request):
    messages.warning(request, _("もう一度ユーザー名とパスワードを入力してください。"))
    return redirect("admin:login")


@never_cache
@sensitive_post_parameters()
def two_factor(request):
    """Step two: a code from the authenticator app, or one of the recovery codes."""
    user, state = pending_sign_in(request)
    if user is None:
        return restart(request)
    if not twofactor.has_authenticator(user):
        return redirect("accounts:two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not code_check_allowed(request, state):
            return restart(request)
        device = twofactor.verify_second_factor(user, form.cleaned_data["code"], "sign_in", request)
        if device is not None:
            finish_sign_in(request, user, state, device)
            return redirect(state["next"])
        if attempt_over(request, state):
            return restart(request)
        form.add_error("code", _("確認コードが正しくないか、すでに使われています。"))
    context = admin_context(request, form=form, title=_("二要素認証"))
    return render(request, "accounts/two_factor.html", context)


@never_cache
@sensitive_post_parameters()
def two_factor_setup(request):
    """First sign-in: enrol an authenticator app, then show the recovery codes once."""
    user, state = pending_sign_in(request)
    if user is None:
        return restart(request)
    if twofactor.has_authenticator(user):
        return redirect("accounts:two_factor")
    device = twofactor.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not code_check_allowed(request, state):
            return restart(request)
        codes = twofactor.confirm_enrolment(user, device, form.cleaned_data["code"], request)
        if codes is not None:
            finish_sign_in(request, user, state, device)
            context = admin_context(request, codes=codes, next=state["next"], title=_("復旧コード"))
            return render(request, "accounts/recovery_codes.html", context)
        if attempt_over(request, state):
            return restart(request)
        form.add_error("code", _("確認コードが正しくありません。アプリの時刻も確認してください。"))
    context = admin_context(
        request,
        form=form,
        title=_("二要素認証の設定"),
        qr=twofactor.qr_data_uri(device),
        secret=twofactor.secret_of(device),
    )
    return render(request, "accounts/two_factor_setup.html", context)
