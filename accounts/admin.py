"""The owner's page for the shop's people: create, give one role, deactivate.

Raw groups, permissions and the superuser flag are not editable here: a person has
exactly one role, changed on its own page after re-authentication. Every account-security
action here (creating, role, (de)activation, setting a password, resetting a second
factor) asks for re-authentication first, and one's own password is changed only on the
own-password page, which asks for the current one.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UsernameField
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import invites, people, twofactor
from accounts.reauth import forget_reauthentication, reauth_redirect, recently_reauthenticated
from accounts.roles import with_role
from audit.changes import recorded_by_caller
from vault.access import PermissionAdmin

User = get_user_model()
# Fields of the change form that only a recently re-authenticated owner may change.
SECURITY_FIELDS = {"username", "email", "is_active"}

# Roles are synchronised from accounts.roles, and device secrets are never shown.
for model in (User, Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class RoleField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=people.ROLE_CHOICES,
            widget=forms.RadioSelect,
            label=_("役割"),
            **kwargs,
        )


class PersonCreationForm(forms.ModelForm):
    """A new person: the name they sign in with, where their invitation goes, their role.
    No password: they choose it themselves from the invitation's link."""

    role = RoleField()

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _(
            "招待メール（パスワードを決めるリンク）をここに送ります。"
        )

    def clean_username(self):
        return people.check_username(self.cleaned_data["username"])

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class StoredPasswordWidget(forms.Widget):
    """Says the password is stored safely and links to setting a new one: the hashing
    algorithm, its parameters and the hash mean nothing to the shop's people."""

    read_only = True

    def render(self, name, value, attrs=None, renderer=None):
        usable = bool(value) and not str(value).startswith("!")
        stored = _("パスワードは安全に保存されています。")
        unset = _("パスワードはまだ設定されていません。")
        return format_html(
            '<div class="readonly" id="password-stored">{} <a class="button" href="{}">{}</a>'
            "</div>",
            stored if usable else unset,
            "../password/",
            _("パスワードを変更する"),
        )


class PersonChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        fields = ("username", "password", "first_name", "last_name", "email", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields.get("password")
        if password is not None:
            password.widget = StoredPasswordWidget()
            password.help_text = ""

    def clean_username(self):
        # Names given before the rule was kept stay; a changed one follows it.
        username = self.cleaned_data["username"]
        if "username" in self.changed_data:
            people.check_username(username)
        return username

    def clean_is_active(self):
        active = self.cleaned_data["is_active"]
        if self.instance.is_active and not active:
            try:
                people.check_last_owner(self.instance)
            except people.LastOwnerError as error:
                raise ValidationError(error.messages) from None
        return active


class RoleForm(forms.Form):
    role = RoleField()


class RoleFilter(admin.SimpleListFilter):
    """The people list filtered by role, named in Japanese (the raw group names are code)."""

    title = _("役割")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return people.ROLE_CHOICES

    def queryset(self, request, queryset):
        if self.value() in dict(people.ROLE_CHOICES):
            return with_role(queryset, self.value())
        return queryset


@admin.register(User)
class PersonAdmin(PermissionAdmin, UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("氏名と連絡先"), {"fields": ("first_name", "last_name", "email")}),
        (_("アクセス"), {"fields": ("role_label", "is_active", "two_factor")}),
        (_("日時"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "email", "role")}),)
    readonly_fields = ("role_label", "two_factor", "last_login", "date_joined")
    list_display = ("username", "role_label", "is_active", "two_factor", "last_login")
    list_filter = ("is_active", RoleFilter)
    search_fields = ("username",)
    filter_horizontal = ()
    actions = ["reset_two_factor", "resend_invite"]

    # Managing people is the owner's (auth.view_user, add_user, change_user).
    # People are deactivated, never deleted: the audit ledger keeps naming them.
    never = ("delete",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("役割"))
    def role_label(self, obj):
        return people.role_label(people.stored_role(obj))

    @admin.display(description=_("二要素認証"), boolean=True)
    def two_factor(self, obj):
        return twofactor.has_authenticator(obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/role/",
                self.admin_site.admin_view(self.role_view),
                name="auth_user_role",
            ),
        ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        # Creating someone with a role grants access: it needs re-authentication too.
        if not self.has_add_permission(request):
            raise PermissionDenied
        if not recently_reauthenticated(request):
            return reauth_redirect(request)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Switching someone off (or on again), or changing the name they sign in with or
        # the address their mail (and an owner's alerts) goes to, is an account-security
        # action: it needs re-authentication.
        if request.method == "POST" and self.changes_security_fields(request, object_id):
            if not recently_reauthenticated(request):
                return reauth_redirect(request)
        extra_context = {
            **(extra_context or {}),
            "role_url": reverse("admin:auth_user_role", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changes_security_fields(self, request, object_id):
        """Whether this POST of the change form would change the user name, the e-mail
        address or the active switch of someone the owner may change (anyone else is
        refused by the change view itself)."""
        person = self.get_object(request, unquote(object_id))
        if person is None or not self.has_change_permission(request, person):
            return False
        form = self.get_form(request, person, change=True)(request.POST, instance=person)
        return bool(SECURITY_FIELDS & set(form.changed_data))

    def save_model(self, request, obj, form, change):
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        reactivating = change and "is_active" in form.changed_data and obj.is_active
        if deactivating:
            obj.is_active = True  # people.deactivate switches it off, with its record
        # Creating, deactivating, reactivating or changing a login detail: those entries
        # cover the save too; any other edit is recorded as the save it is (model.update).
        before = {name: form.initial.get(name, "") for name in people.LOGIN_DETAILS}
        with recorded_by_caller() as saves:
            obj.save()
            if change:
                people.login_details_changed(request.user, obj, before, saves, request)
            if not change:
                people.create_account(request.user, obj, form.cleaned_data["role"], request)
                invites.send_invite(request.user, obj, request)
            elif deactivating:
                people.deactivate(request.user, obj, request)
            elif reactivating:
                people.reactivate(request.user, obj, request)

    def user_change_password(self, request, id, form_url=""):
        """The owner sets someone else's password, after re-authentication: that person's
        sessions all end. One's own password is changed on the own-password page, which
        asks for the current one."""
        person = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, person):
            raise PermissionDenied
        if person is None:
            raise Http404
        if person.pk == request.user.pk:
            return HttpResponseRedirect(
                reverse("admin:password_change", current_app=self.admin_site.name)
            )
        if not recently_reauthenticated(request):
            return reauth_redirect(request)
        before = person.password
        with transaction.atomic(), recorded_by_caller():
            response = super().user_change_password(request, id, form_url)
            person.refresh_from_db(fields=["password"])
            if person.password != before:
                people.password_changed(request, person)
        return response

    def role_view(self, request, object_id):
        """Give one person exactly one role: the owner only, after re-authentication."""
        person = self.get_object(request, object_id)
        if not self.has_change_permission(request, person):
            raise PermissionDenied
        if person is None:
            raise Http404
        if not recently_reauthenticated(request):
            return reauth_redirect(request)
        form = RoleForm(request.POST or None, initial={"role": people.stored_role(person)})
        if request.method == "POST" and form.is_valid():
            try:
                changed = people.change_role(
                    request.user, person, form.cleaned_data["role"], request
                )
            except people.LastOwnerError as error:
                form.add_error("role", error)
            else:
                if changed:
                    messages.success(request, _("役割を変更しました。"))
                change_url = reverse("admin:auth_user_change", args=[person.pk])
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": format_lazy("{}: {}", _("役割の変更"), person.get_username()),
            "person": person,
            "form": form,
            "opts": self.opts,
        }
        return render(request, "accounts/role_form.html", context)

    @admin.action(description=_("選択した人の二要素認証をリセット（次回サインインで再設定）"))
    def reset_two_factor(self, request, queryset):
        if not recently_reauthenticated(request):
            return reauth_redirect(request)
        own = queryset.filter(pk=request.user.pk).exists()
        with transaction.atomic():
            for person in queryset:
                people.reset_second_factor(request.user, person, request)
        if own:
            # This session ended with the others: sign in again and enrol a new device.
            logout(request)
            return HttpResponseRedirect(reverse("admin:login", current_app=self.admin_site.name))
        forget_reauthentication(request)
        messages.success(request, _("二要素認証をリセットしました。"))

    @admin.action(description=_("選択した人に招待メールを送り直す（パスワード未設定の人のみ）"))
    def resend_invite(self, request, queryset):
        if not recently_reauthenticated(request):
            return reauth_redirect(request)
        invited = [p for p in queryset if not p.has_usable_password() and p.email and p.is_active]
        with transaction.atomic():
            for person in invited:
                invites.send_invite(request.user, person, request)
        if invited:
            messages.success(request, _("招待メールを送り直しました。"))
        if len(invited) < len(queryset):
            messages.warning(
                request,
                _("パスワード設定済み・メールアドレスなし・無効の人には送っていません。"),
            )
