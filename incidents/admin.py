"""The incident pages: the owner works an incident, the auditor reads it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.reauth import require_recent_auth
from audit.actions import Action
from audit.ledger import record
from audit.models import AuditEntry
from incidents import deadlines, measures, scope, services
from incidents.forms import REPORT_ITEMS, IncidentForm, ReportForm, ScopeForm
from incidents.models import Incident
from incidents.triage import triage
from vault.access import PermissionAdmin


@admin.register(Incident)
class IncidentAdmin(PermissionAdmin, admin.ModelAdmin):
    # An incident is evidence: it is never deleted.
    never = ("delete",)
    form = IncidentForm
    # A plain date-and-time field (the form's labelled widget), not the admin's split one.
    formfield_overrides = {models.DateTimeField: {"form_class": forms.DateTimeField}}
    list_display = ("title", "discovered_at", "cause", "certainty", "people_count", "report_need")
    list_filter = ("cause", "certainty")
    change_form_template = "incidents/change_form.html"
    fieldsets = (
        (
            gettext_lazy("事案"),
            {"fields": ("title", "discovered_at", "cause", "certainty", "what_happened")},
        ),
        (
            gettext_lazy("判断に使う事実"),
            {"fields": ("protection", "payment_data_usable")},
        ),
        (
            gettext_lazy("報告"),
            {"fields": ("preliminary_reported_at", "final_reported_at")},
        ),
        (
            gettext_lazy("本人へのお知らせ（メール）"),
            {"fields": ("customer_what_happened", "customer_advice", "public_contact")},
        ),
        (
            gettext_lazy("公表（ページ）"),
            {"fields": ("public_title", "public_slug", "public_text")},
        ),
    )

    @admin.display(description=gettext_lazy("本人の数"))
    def people_count(self, incident):
        return f"{incident.people:,}"

    @admin.display(description=gettext_lazy("報告"))
    def report_need(self, incident):
        return triage(incident).verdict

    def get_readonly_fields(self, request, obj=None):
        # A published page keeps its address: links to it were handed out.
        if obj is not None and obj.published_at:
            return ("public_slug",)
        return ()

    def save_model(self, request, obj, form, change):
        services.save_incident(obj, request=request, created=not change)

    # From a finding of the periodic review of access ---------------------------------

    def get_changeform_initial_data(self, request):
        """A new incident opened from a reviewed period (``?review_period=2026-11``)
        starts with the period and the reviewer's findings (checked for personal data
        when they were written); its scope page then starts with the period's dates."""
        initial = super().get_changeform_initial_data(request)
        found = services.from_access_review(request.GET.get("review_period", ""))
        if found is not None:
            initial.update(found.initial)
            initial.pop("review_period", None)
        return initial

    def response_add(self, request, obj, post_url_continue=None):
        found = services.from_access_review(request.GET.get("review_period", ""))
        if found is None or "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        messages.success(request, _("事案を登録しました。点検した期間で対象を決めてください。"))
        url = reverse("admin:incidents_scope", args=[obj.pk])
        return redirect(f"{url}?{found.scope_query}")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/scope/", wrap(self.scope_view), name="incidents_scope"),
            path("<uuid:object_id>/report/", wrap(self.report_view), name="incidents_report"),
            path("<uuid:object_id>/print/", wrap(self.print_view), name="incidents_print"),
            path("<uuid:object_id>/notices/", wrap(self.notices_view), name="incidents_notices"),
            path("<uuid:object_id>/publish/", wrap(self.publish_view), name="incidents_publish"),
            path("<uuid:object_id>/measure/", wrap(self.measure_view), name="incidents_measure"),
            *super().get_urls(),
        ]

    # The incident's page -----------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        incident = self.get_object(request, object_id)
        if incident is not None and request.method == "GET":
            record(Action.INCIDENT_VIEW, request=request, target=incident)
        extra = {**(extra_context or {}), **self._facts(request, incident)} if incident else {}
        return super().change_view(request, object_id, form_url, extra)

    def _facts(self, request, incident):
        return {
            "incident": incident,
            "triage": triage(incident),
            "deadlines": deadlines.deadlines(incident),
            "field_labels": [scope.item_label(name) for name in incident.scope_fields],
            "card_items": [n for n in incident.scope_fields if n in scope.CARD_ITEMS],
            "masked_only": incident.scope_params.get("masked_only", 0),
            "measures": measures.recommended(incident),
            "trail": AuditEntry.objects.filter(
                target_type="incidents.incident", target_id=str(incident.pk)
            ).order_by("seq"),
            "notices_sent": incident.notices.count(),
            "may_work": self.has_change_permission(request, incident),
        }

    def _incident(self, request, object_id, *, work):
        incident = get_object_or_404(Incident, pk=object_id)
        allowed = (
            self.has_change_permission(request, incident)
            if work
            else (self.has_view_permission(request, incident))
        )
        if not allowed:
            raise PermissionDenied
        return incident

    def _page(self, request, incident, template, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": incident,
            **context,
        }
        return TemplateResponse(request, template, context)

    def _back(self, incident):
        return redirect(reverse("admin:incidents_incident_change", args=[incident.pk]))

    # Scope --------------------------------------------------------------------------

    def scope_view(self, request, object_id):
        incident = self._incident(request, object_id, work=True)
        # A scope page opened from a reviewed period starts with the period's dates.
        initial = {k: request.GET[k] for k in ("source", "start", "end") if k in request.GET}
        form = ScopeForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                built = form.build()
            except ValidationError as error:
                form.add_error(None, error)
            else:
                services.freeze_scope(incident, form.cleaned_data["source"], built, request=request)
                messages.success(
                    request,
                    _("対象を確定しました：%(people)s人。")
                    % {"people": f"{len(built.customer_ids):,}"},
                )
                return self._back(incident)
        title = _("対象を決める")
        return self._page(request, incident, "incidents/scope.html", form=form, title=title)

    # Report -------------------------------------------------------------------------

    def report_view(self, request, object_id):
        incident = self._incident(request, object_id, work=True)
        last = incident.reports.order_by("-version").first()
        initial = last.items if last else services.draft_items(incident)
        form = ReportForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            draft = services.save_report(incident, form.cleaned_data, request=request)
            messages.success(
                request, _("報告書の下書きを第%(v)s版として保存しました。") % {"v": draft.version}
            )
            return self._back(incident)
        versions = incident.reports.order_by("-version")
        title = _("報告書の下書き")
        return self._page(
            request, incident, "incidents/report.html", form=form, versions=versions, title=title
        )

    def print_view(self, request, object_id):
        incident = self._incident(request, object_id, work=False)
        version = request.GET.get("v")
        drafts = incident.reports.all()
        draft = drafts.filter(version=version).first() if version and version.isdigit() else None
        draft = draft or drafts.order_by("-version").first()
        items = draft.items if draft else services.draft_items(incident)
        rows = [(label, items.get(key, "")) for key, label in REPORT_ITEMS]
        return self._page(
            request,
            incident,
            "incidents/print.html",
            rows=rows,
            draft=draft,
            triage=triage(incident),
            title=_("漏えい等の報告（下書き）"),
        )

    # Notices and measures -----------------------------------------------------------

    def notices_view(self, request, object_id):
        incident = self._incident(request, object_id, work=True)
        if request.method == "POST":
            return self._send(request, object_id)
        notice = services.notice_mail(incident)
        return self._page(
            request,
            incident,
            "incidents/notices.html",
            notice=notice,
            missing=services.missing_for_notice(incident),
            told=incident.notices.count(),
            title=_("本人への通知"),
        )

    @staticmethod
    @require_recent_auth
    def _send_after_reauth(request, incident):
        back = redirect(reverse("admin:incidents_notices", args=[incident.pk]))
        try:
            done = services.send_notices(
                incident, request=request, previewed=request.POST.get("previewed", "")
            )
        except services.NoticeNotReady:
            messages.error(
                request,
                _(
                    "送りませんでした。書かれていない項目があるか、確認した後で文面が変わりました。"
                    "下の文面を確かめてから、もう一度押してください。"
                ),
            )
            return back
        if done.failed:
            messages.error(
                request,
                _(
                    "メールを送れませんでした。送れた分は記録しました。もう一度押すと続きから送ります。"
                ),
            )
        messages.info(
            request,
            _("%(sent)s人に送り、%(unreachable)s人は連絡先がありません。残り%(left)s人です。")
            % {"sent": done.sent, "unreachable": done.unreachable, "left": done.left},
        )
        return back

    def _send(self, request, object_id):
        incident = self._incident(request, object_id, work=True)
        return self._send_after_reauth(request, incident)

    def publish_view(self, request, object_id):
        """The notice page as it will read, and the publish button (re-authenticated)."""
        incident = self._incident(request, object_id, work=True)
        if request.method == "POST":
            return self._publish_after_reauth(request, incident)
        return self._page(
            request,
            incident,
            "incidents/publish.html",
            missing=services.missing_for_publishing(incident),
            shop=services.shop_facts()["business_name"],
            title=_("公表ページ"),
        )

    @staticmethod
    @require_recent_auth
    def _publish_after_reauth(request, incident):
        try:
            services.publish_notice(incident, request=request)
        except ValueError:
            messages.error(request, _("公表に必要な項目が書かれていません。"))
        else:
            messages.success(request, _("公表ページを公開しました。"))
        return redirect(reverse("admin:incidents_publish", args=[incident.pk]))

    def measure_view(self, request, object_id):
        incident = self._incident(request, object_id, work=True)
        if request.method != "POST":
            return self._back(incident)
        key = request.POST.get("measure", "")
        if key not in dict((k, v) for k, v, _m in measures.recommended(incident)):
            messages.error(request, _("この事案の対策にはない項目です。"))
        else:
            services.tick_measure(incident, key, request=request)
            messages.success(request, _("実施済みとして記録しました。"))
        return self._back(incident)
