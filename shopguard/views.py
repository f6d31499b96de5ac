"""Project-wide views: re-authentication and the error pages."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from shopguard.reauth import mark_reauthenticated

# Error pages never echo the requested path (it could carry personal data).
ERROR_CONTEXT = {"language_next": "/"}


class ReauthForm(forms.Form):
    password = forms.CharField(label=_("パスワード"), widget=forms.PasswordInput)

    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self):
        user = authenticate(
            self.request,
            username=self.request.user.get_username(),
            password=self.cleaned_data["password"],
        )
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError(_("パスワードが正しくありません。"))
        return ""


def safe_next(request, default="admin:index"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@never_cache
@login_required
def reauth(request):
    """Ask for the password again before a dangerous action."""
    form = ReauthForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        mark_reauthenticated(request)
        return redirect(safe_next(request))
    return render(request, "shopguard/reauth.html", {"form": form, "next": safe_next(request, "")})


def bad_request(request, exception=None):
    return render(request, "400.html", ERROR_CONTEXT, status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", ERROR_CONTEXT, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", ERROR_CONTEXT, status=404)


def server_error(request):
    return render(request, "500.html", ERROR_CONTEXT, status=500)
