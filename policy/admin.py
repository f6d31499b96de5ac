"""The owner's policy work: the shop profile, versions (edit, publish), consent, third-party
provision records. Every page here is the owner's alone (DESIGN.md): only the owner's role
holds these models' permissions (accounts.roles), which every page asks (vault.access)."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.reauth import require_recent_auth
from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from policy import register, services
from policy.content import compare_articles, diff_segments
from policy.countries import BY_CODE
from policy.forms import (
    HouseRulesForm,
    OutsourceeForm,
    PolicyVersionForm,
    PublishForm,
    PublishRulesForm,
    ThirdPartyProvisionForm,
    article_field_name,
)
from policy.models import (
    Channel,
    ConsentRecord,
    HouseRulesVersion,
    Outsourcee,
    PolicyVersion,
    RulesAcceptance,
    ShopProfile,
    ThirdPartyProvision,
    customers_without_consent,
)
from vault.access import PermissionAdmin

# One page of customers awaiting consent: enough to work through, small enough to send.
PENDING_PAGE_SIZE = 200


def posted_customer_ids(request):
    """The customers ticked on the pending-consent page; a value that is no customer id
    at all (a tampered form) chooses nobody and says so, rather than failing the page."""
    ids = []
    for value in request.POST.getlist("customer"):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            messages.error(request, _("選択されたお客様の一部を読み取れませんでした。"))
            return []
    return ids


def changed_field_names(form):
    return sorted(form.changed_data)


@admin.register(ShopProfile)
class ShopProfileAdmin(PermissionAdmin, admin.ModelAdmin):
    # One profile, made by the seed migration: never added or deleted.
    never = ("add", "delete")
    fieldsets = [
        (_("事業者"), {"fields": [("business_name_ja", "business_name_en")]}),
        (
            None,
            {"fields": [("address_ja", "address_en"), ("representative_ja", "representative_en")]},
        ),
        (
            _("開示等の請求・苦情の窓口"),
            {
                "fields": [
                    ("contact_desk_ja", "contact_desk_en"),
                    ("contact_email", "contact_phone"),
                    ("contact_hours_ja", "contact_hours_en"),
                    "request_procedure_ja",
                    "request_procedure_en",
                    ("request_fee_ja", "request_fee_en"),
                ]
            },
        ),
        (_("安全管理措置の概要"), {"fields": ["safety_measures_ja", "safety_measures_en"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        profile = ShopProfile.load()
        return redirect("admin:policy_shopprofile_change", profile.pk)

    def save_model(self, request, obj, form, change):
        with recorded_by_caller():
            super().save_model(request, obj, form, change)
            record(
                Action.POLICY_EDIT,
                request=request,
                target=obj,
                detail={"step": "profile_changed", "fields": changed_field_names(form)},
            )


class VersionedDocumentAdmin(PermissionAdmin, admin.ModelAdmin):
    """What the admins of the policy's and the house rules' versions share
    (``policy.models.NumberedVersion``): a draft is edited and a published version is
    read only and kept; each save and deletion of a draft is an ``edit_action`` entry; a
    new draft is always a copy (``new_draft_view``, from ``draft_source``); publishing
    asks for the model's publish permission and a fresh password (``publish_view``, then
    the subclass's ``confirm_publish``)."""

    # Never added here: a draft always starts as a copy (see new_draft_view).
    never = ("add",)
    edit_action: Action
    frozen_fields: list[str] = []
    # What stays read only while a draft is edited.
    draft_readonly_fields: list[str] = []

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False  # published versions are read-only; edit a new draft instead
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        return {}  # no bulk delete: published versions are kept

    def get_readonly_fields(self, request, obj=None):
        if obj is None or not self.has_change_permission(request, obj):
            return self.frozen_fields
        return self.draft_readonly_fields

    def save_model(self, request, obj, form, change):
        # Named as the form names them (for the policy: article by article).
        with recorded_by_caller():
            super().save_model(request, obj, form, change)
            record(
                self.edit_action,
                request=request,
                target=obj,
                detail={"step": "draft_changed", "fields": changed_field_names(form)},
            )

    def delete_model(self, request, obj):
        with recorded_by_caller():
            record(self.edit_action, request=request, target=obj, detail={"step": "draft_deleted"})
            super().delete_model(request, obj)

    def url_name(self, view):
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("new-draft/", wrap(self.new_draft_view), name=self.url_name("new_draft")),
            path(
                "<int:object_id>/publish/", wrap(self.publish_view), name=self.url_name("publish")
            ),
            *super().get_urls(),
        ]

    def draft_source(self, object_id):
        """The version a new draft copies (``object_id``, or the subclass's default)."""
        raise NotImplementedError

    def make_draft(self, request, source):
        raise NotImplementedError

    def new_draft_view(self, request, object_id=None):
        """POST: a new draft copied from ``draft_source``."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        draft = self.make_draft(request, self.draft_source(object_id))
        self.message_user(request, _("下書きを作成しました。編集して公開してください。"))
        return redirect(f"admin:{self.url_name('change')}", draft.pk)

    def publish_view(self, request, object_id):
        """Confirm and publish a draft: the owner only, with a fresh password."""
        publish = f"{self.opts.app_label}.publish_{self.opts.model_name}"
        if not (self.has_change_permission(request) and request.user.has_perm(publish)):
            raise PermissionDenied
        return self.confirm_publish(request, object_id)

    def confirm_publish(self, request, object_id):
        raise NotImplementedError


@admin.register(PolicyVersion)
class PolicyVersionAdmin(VersionedDocumentAdmin):
    edit_action = Action.POLICY_EDIT
    form = PolicyVersionForm
    list_display = ["__str__", "status", "effective_date", "material_change", "published_at"]
    list_filter = ["status", "material_change"]
    change_form_template = "policy/admin/version_change_form.html"
    change_list_template = "policy/admin/version_change_list.html"
    frozen_fields = [
        "number",
        "status",
        "effective_date",
        "material_change",
        "change_summary_ja",
        "change_summary_en",
        "content_hash",
        "published_at",
        "published_by",
        "based_on",
        "articles_display",
    ]

    draft_readonly_fields = ["number", "status", "based_on", "content_hash"]

    def get_fieldsets(self, request, obj=None):
        if obj is None or not self.has_change_permission(request, obj):
            return [(None, {"fields": self.frozen_fields})]
        fieldsets = [
            (
                _("この下書きについて"),
                {
                    "fields": [
                        "status",
                        "based_on",
                        "material_change",
                        "material_change_declined",
                        "change_summary_ja",
                        "change_summary_en",
                    ]
                },
            )
        ]
        for article in obj.articles:
            number = article["number"]
            fields = [
                article_field_name(number, key) for key, _l, _w in PolicyVersionForm.article_keys()
            ]
            fieldsets.append((_("第%(number)s条") % {"number": number}, {"fields": fields}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The article fields are added by the form itself, not by the model.
        kwargs["fields"] = PolicyVersionForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description=_("条文"))
    def articles_display(self, obj):
        return format_html_join(
            "",
            '<h3>{}. {} / {}</h3><div class="policy-admin-body">{}</div>'
            '<div class="policy-admin-body">{}</div>',
            (
                (a["number"], a["title_ja"], a["title_en"], a["body_ja"], a["body_en"])
                for a in obj.articles
            ),
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "pending-consent/",
                wrap(self.pending_consent_view),
                name="policy_policyversion_pending_consent",
            ),
            path(
                "<int:object_id>/new-draft/",
                wrap(self.new_draft_view),
                name="policy_policyversion_new_draft_from",
            ),
            *super().get_urls(),
        ]

    def draft_source(self, object_id):
        """This version, or the newest published one."""
        if object_id is None:
            return PolicyVersion.objects.consent_target()
        return get_object_or_404(PolicyVersion, pk=object_id)

    def make_draft(self, request, source):
        return services.create_draft(request, source)

    @require_recent_auth
    def confirm_publish(self, request, object_id):
        draft = get_object_or_404(PolicyVersion, pk=object_id, status=PolicyVersion.Status.DRAFT)
        form = PublishForm(
            request.POST or None, version=draft, initial={"effective_date": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            services.publish_version(request, draft, form.cleaned_data["effective_date"])
            self.message_user(
                request, _("第%(number)s版を公開しました。") % {"number": draft.number}
            )
            return redirect("admin:policy_policyversion_change", draft.pk)
        previous = draft.previous()
        old_articles = previous.articles if previous else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("ポリシーを公開する"),
            "opts": self.opts,
            "draft": draft,
            "previous": previous,
            "form": form,
            "changes_ja": compare_articles(old_articles, draft.articles, "ja"),
            "changes_en": compare_articles(old_articles, draft.articles, "en"),
        }
        return TemplateResponse(request, "policy/admin/publish.html", context)

    def pending_consent_view(self, request):
        """Customers who have not agreed since the last material change; make their links."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        target = PolicyVersion.objects.consent_target()
        pending = customers_without_consent().order_by("created_at")
        links = []
        if request.method == "POST" and target is not None:
            chosen = pending.filter(pk__in=posted_customer_ids(request))[:PENDING_PAGE_SIZE]
            links = [
                (
                    link.customer,
                    request.build_absolute_uri(reverse("privacy:consent_link", args=[link.token])),
                )
                for link in services.issue_invitations(request, list(chosen), target)
            ]
        shown = list(pending[:PENDING_PAGE_SIZE])
        record(
            Action.POLICY_CONSENT_STATUS,
            request=request,
            customers=[customer.pk for customer in shown],
            detail={"shown": len(shown)},
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("同意をいただいていないお客様"),
            "opts": self.opts,
            "target": target,
            "required": PolicyVersion.objects.last_material_change(),
            "customers": shown,
            "total": pending.count(),
            "links": links,
        }
        return TemplateResponse(request, "policy/admin/pending_consent.html", context)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(PermissionAdmin, admin.ModelAdmin):
    # Consent is evidence: recorded once, never edited or deleted.
    never = ("change", "delete")
    list_display = ["customer", "version", "channel", "consented_at", "content_hash"]
    list_filter = ["channel", "version"]
    list_select_related = ["customer", "version"]
    raw_id_fields = ["customer"]
    fields = ["customer", "version", "channel"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "version" in form.base_fields:
            form.base_fields["version"].queryset = PolicyVersion.objects.published()
            form.base_fields["channel"].choices = [(Channel.SHOP, Channel.SHOP.label)]
            form.base_fields["channel"].initial = Channel.SHOP
            form.base_fields["channel"].help_text = _(
                "店頭で書面などにより同意をいただいた場合に記録します。"
                "ウェブでの同意はお客様ご自身の操作で記録されます。"
            )
        return form

    def save_model(self, request, obj, form, change):
        consent = services.record_consent(
            obj.customer, obj.version, obj.channel, request=request, actor=request.user
        )
        obj.pk = consent.pk


@admin.register(ThirdPartyProvision)
class ThirdPartyProvisionAdmin(PermissionAdmin, admin.ModelAdmin):
    # Removed only by purge_provision_records after the retention period.
    never = ("delete",)
    form = ThirdPartyProvisionForm
    list_display = ["recipient_name", "provided_on", "basis", "recorded_on", "keep_until"]
    list_filter = ["basis"]
    raw_id_fields = ["customers"]
    readonly_fields = ["recorded_on", "keep_until"]

    @admin.display(description=_("保存期限"))
    def keep_until(self, obj):
        return obj.keep_until

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The record and its customers are saved in two steps (save_model, save_related):
        # one entry covers both.
        with recorded_by_caller():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        step = "changed" if change else "created"
        with recorded_by_caller() as saves:  # changeform_view's block
            services.record_provision_entry(
                form.instance, request=request, step=step, fields=saves.fields()
            )


@admin.register(HouseRulesVersion)
class HouseRulesVersionAdmin(VersionedDocumentAdmin):
    """The owner writes the house rules as drafts and publishes them (a new draft starts
    from the version in force); every person reads them at ``policy:house_rules``."""

    edit_action = Action.RULES_EDIT
    form = HouseRulesForm
    list_display = ["__str__", "status", "material_change", "published_at", "accepted_by"]
    change_form_template = "policy/admin/rules_change_form.html"
    change_list_template = "policy/admin/rules_change_list.html"
    frozen_fields = [
        "number",
        "status",
        "material_change",
        "change_summary_ja",
        "body_ja",
        "body_en",
        "content_hash",
        "published_at",
        "published_by",
    ]

    draft_readonly_fields = ["number", "status", "content_hash"]

    def get_fields(self, request, obj=None):
        if obj is None or not self.has_change_permission(request, obj):
            return self.frozen_fields
        return ["status", "material_change", "change_summary_ja", "body_ja", "body_en"]

    @admin.display(description=_("同意した人数"))
    def accepted_by(self, obj):
        return obj.acceptances.values("person").distinct().count()

    def draft_source(self, object_id):
        """The rules in force (there is always a version once the migrations ran)."""
        source = HouseRulesVersion.objects.in_force()
        if source is None:
            raise PermissionDenied
        return source

    def make_draft(self, request, source):
        return services.create_rules_draft(request, source)

    @require_recent_auth
    def confirm_publish(self, request, object_id):
        draft = get_object_or_404(
            HouseRulesVersion, pk=object_id, status=HouseRulesVersion.Status.DRAFT
        )
        form = PublishRulesForm(request.POST or None, version=draft)
        if request.method == "POST" and form.is_valid():
            services.publish_rules(request, draft)
            self.message_user(
                request,
                _("所内ルール第%(number)s版を公開しました。") % {"number": draft.number},
            )
            return redirect("admin:policy_houserulesversion_change", draft.pk)
        previous = draft.previous()
        context = {
            **self.admin_site.each_context(request),
            "title": _("所内ルールを公開する"),
            "opts": self.opts,
            "draft": draft,
            "previous": previous,
            "form": form,
            "diff_ja": diff_segments(previous.body_ja if previous else "", draft.body_ja),
            "diff_en": diff_segments(previous.body_en if previous else "", draft.body_en),
        }
        return TemplateResponse(request, "policy/admin/rules_publish.html", context)


@admin.register(RulesAcceptance)
class RulesAcceptanceAdmin(PermissionAdmin, admin.ModelAdmin):
    # Acceptance is evidence: made only by the person on the rules page.
    never = ("add", "change", "delete")
    list_display = ["person", "version", "accepted_at", "content_hash"]
    list_filter = ["version"]
    list_select_related = ["person", "version"]


@admin.register(Outsourcee)
class OutsourceeAdmin(PermissionAdmin, admin.ModelAdmin):
    """The register of the services that handle customer data (the owner's): each save is
    recorded by the change recorder; one that changes what the policy states prompts a
    new policy version (policy.register.changed_since_policy)."""

    # An entry no longer used is unticked ("利用中"), never deleted: it is evidence.
    never = ("delete",)
    form = OutsourceeForm
    list_display = ["name_ja", "service", "basis", "country_name", "terms_checked_on", "in_use"]
    list_filter = ["service", "basis", "in_use"]
    change_list_template = "policy/admin/register_change_list.html"

    @admin.display(description=_("データを保管する国"))
    def country_name(self, obj):
        country = BY_CODE.get(obj.country)
        return country.name_ja if country else obj.country

    def changelist_view(self, request, extra_context=None):
        context = {
            "register_changed": register.changed_since_policy(),
            "unchecked": register.unchecked_entries().count(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)
