"""The work queue of customers' data requests (Article 6, APPI arts. 32-35), for the
owner and the manager: only requests whose sender proved the address on file appear;
each is due 14 days after that proof, warned from day 10 and red when overdue."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.reauth import require_recent_auth
from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from customers import reading
from customers.fields import label, masked_value
from customers.forms import RevealForm
from customers.masking import mask_email, mask_name, mask_phone
from customers.validators import refuse_card_numbers
from datarequests import services
from datarequests.models import DataRequest
from vault.access import PermissionAdmin

ERASE = "datarequests.erase_datarequest"


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("お断りの理由（お客様にお知らせします）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[refuse_card_numbers],
        help_text=_("法律上の根拠など、お客様に分かる言葉で書いてください。"),
    )


class ErasureForm(forms.Form):
    """The owner types the request's reference: erasing cannot be undone."""

    confirm = forms.CharField(label=_("確認のため、受付番号を入力してください"), max_length=20)

    def __init__(self, *args, reference, **kwargs):
        super().__init__(*args, **kwargs)
        self.reference = reference

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"].strip().upper()
        if typed != self.reference:
            raise ValidationError(_("受付番号が一致しません。消去はしていません。"))
        return typed


@admin.register(DataRequest)
class DataRequestAdmin(PermissionAdmin, admin.ModelAdmin):
    # Requests come from customers through the public form, and are kept.
    never = ("add", "delete")
    list_display = ["reference", "kind", "step", "identity_confirmed_at", "due", "done_at"]
    list_filter = ["step", "kind"]
    raw_id_fields = ["customer"]
    change_form_template = "datarequests/admin/request_change_form.html"
    change_list_template = "datarequests/admin/request_change_list.html"
    fields = [
        "reference",
        "kind",
        "step",
        "due",
        "received_at",
        "masked_name",
        "masked_email",
        "masked_phone",
        "details",
        "identity_confirmed_at",
        "done_at",
        "customer",
        "note",
    ]
    # Everything the customer sent and every step stays as it was; only the link to a
    # customer and the shop's note are edited here (steps move through their buttons).
    readonly_fields = [f for f in fields if f not in ("customer", "note")]

    # The requester's contact details, masked like a customer's; each has a reveal.
    MASKED = {"name": mask_name, "email": mask_email, "phone": mask_phone}

    def get_queryset(self, request):
        # Only requests whose sender proved the address on file reach the queue.
        hidden = (DataRequest.Step.RECEIVED, DataRequest.Step.CLOSED)
        queue = super().get_queryset(request).exclude(step__in=hidden)
        return queue.order_by("identity_confirmed_at")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<uuid:object_id>/advance/",
                wrap(self.advance_view),
                name="datarequests_datarequest_advance",
            ),
            path(
                "<uuid:object_id>/refuse/",
                wrap(self.refuse_view),
                name="datarequests_datarequest_refuse",
            ),
            path(
                "<uuid:object_id>/erase/",
                wrap(self.erase_view),
                name="datarequests_datarequest_erase",
            ),
            path(
                "<uuid:object_id>/reveal/<slug:field>/",
                wrap(self.reveal_view),
                name="datarequests_datarequest_reveal",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_erase": request.user.has_perm(ERASE)}
        # Opening a request is a look at the requester's details (masked) and its text:
        # built and rendered inside the reading path, recorded with the linked customer.
        with reading.object_page(
            request, DataRequest, object_id, action=Action.DATA_REQUEST_VIEW
        ) as page:
            extra_context["correction"] = self.correction_rows(request, object_id)
            response = super().change_view(request, object_id, form_url, extra_context)
            original = getattr(response, "context_data", {}).get("original")
            if original is not None and response.status_code == 200:
                page.shown(original)
                response.render()
        return response

    # The values a correction request is about, shown masked beside the requested text.
    CORRECTABLE = ("name", "name_kana", "postal_code", "address", "phone", "email")

    def correction_rows(self, request, object_id):
        """For an open correction request of a known customer: each correctable value of
        the customer, masked, with its reveal (reason asked, recorded); else None."""
        if not self.has_change_permission(request):
            return None
        try:
            found = self.get_queryset(request).filter(pk=object_id, kind=DataRequest.Kind.CORRECT)
            data_request = found.select_related("customer").first()
        except ValidationError:
            return None  # not a request's id: the page is a 404
        if data_request is None or not data_request.is_open or data_request.customer is None:
            return None
        customer = data_request.customer
        return [
            {
                "label": label(field),
                "masked": masked_value(customer, field) or "-",
                "reveal_url": reverse("customers:reveal", args=[customer.pk, field]),
            }
            for field in self.CORRECTABLE
        ]

    @admin.display(description=_("期限"))
    def due(self, obj):
        """The answer's due date, with the days left; warned from day 10, red when late."""
        if obj.due_at is None or not obj.is_open:
            return "-"
        days = obj.days_left()
        if days < 0:
            note, css = _("%(days)s日超過") % {"days": -days}, "request-overdue"
        else:
            note = _("あと%(days)s日") % {"days": days}
            css = "request-warned" if obj.is_warned() else "request-on-time"
        day = date_format(timezone.localdate(obj.due_at), "DATE_FORMAT")
        return format_html('<span class="{}">{}（{}）</span>', css, day, note)

    def masked(self, obj, field):
        url = reverse("admin:datarequests_datarequest_reveal", args=[obj.pk, field])
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            self.MASKED[field](getattr(obj, field)) or "-",
            url,
            _("表示"),
        )

    @admin.display(description=_("お名前"))
    def masked_name(self, obj):
        return self.masked(obj, "name")

    @admin.display(description=_("メールアドレス"))
    def masked_email(self, obj):
        return self.masked(obj, "email")

    @admin.display(description=_("電話番号"))
    def masked_phone(self, obj):
        return self.masked(obj, "phone")

    def queued_request(self, request, object_id):
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    def reveal_view(self, request, object_id, field):
        """Ask for a reason (GET); with a valid one (POST) show one contact value, recorded
        with the linked customer (the shop's work: no quota)."""
        data_request = self.queued_request(request, object_id)
        if field not in self.MASKED:
            raise Http404
        posted = request.method == "POST"
        known = (
            reading.reason_check_values(data_request, ("email", "phone"), ("name",))
            if posted
            else ()
        )
        form = RevealForm(request.POST if posted else None, known_values=known)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("個人情報の表示"),
            "original": data_request,
            "label": DataRequest._meta.get_field(field).verbose_name,
            "form": form,
        }
        if posted and form.is_valid():
            context["value"] = reading.reveal_linked_value(
                request, data_request, field, form.reason, action=Action.DATA_REQUEST_REVEAL
            )
        return TemplateResponse(request, "datarequests/admin/request_reveal.html", context)

    def save_model(self, request, obj, form, change):
        with recorded_by_caller():
            super().save_model(request, obj, form, change)
            record(
                Action.DATA_REQUEST_STEP,
                request=request,
                target=obj,
                customers=[obj.customer_id] if obj.customer_id else [],
                detail={"step": "note_changed", "fields": sorted(form.changed_data)},
            )

    def advance_view(self, request, object_id):
        """POST: the next step of the shop's work (in progress, then done)."""
        if request.method != "POST":
            self.queued_request(request, object_id)
            return HttpResponseNotAllowed(["POST"])
        data_request = self.queued_request(request, object_id)
        if data_request.step not in DataRequest.NEXT_STEP:
            messages.error(request, _("このご請求はすでに対応を終えています。"))
        elif data_request.asks_erasure and data_request.step == DataRequest.Step.IN_PROGRESS:
            messages.error(request, _("このご請求は「消去する」で完了します（オーナーのみ）。"))
        else:
            step = services.advance_data_request(request, data_request)
            self.message_user(
                request,
                _("進捗を「%(step)s」にしました。") % {"step": DataRequest.Step(step).label},
            )
        return redirect("admin:datarequests_datarequest_change", data_request.pk)

    def refuse_view(self, request, object_id):
        """Refuse an open request with a reason, which the customer is mailed (GET: form)."""
        data_request = self.queued_request(request, object_id)
        if not data_request.is_open:
            messages.error(request, _("このご請求はすでに対応を終えています。"))
            return redirect("admin:datarequests_datarequest_change", data_request.pk)
        form = RefusalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.refuse_data_request(request, data_request, form.cleaned_data["reason"])
            self.message_user(request, _("ご請求をお断りし、理由をお客様にお知らせしました。"))
            return redirect("admin:datarequests_datarequest_change", data_request.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("ご請求をお断りする"),
            "original": data_request,
            "form": form,
        }
        return TemplateResponse(request, "datarequests/admin/request_refuse.html", context)

    def erase_view(self, request, object_id):
        """The owner's (``datarequests.erase_datarequest``), after re-authentication: erase
        the customer of a deletion or stop-of-use request, once the request's reference
        is typed (GET: the form)."""
        if not request.user.has_perm(ERASE):
            raise PermissionDenied
        return self.confirmed_erase_view(request, object_id)

    @require_recent_auth
    def confirmed_erase_view(self, request, object_id):
        data_request = self.queued_request(request, object_id)
        erasable = data_request.is_open and data_request.asks_erasure and data_request.customer_id
        form = ErasureForm(request.POST or None, reference=data_request.reference)
        if erasable and request.method == "POST" and form.is_valid():
            services.erase_for_request(request, data_request)
            self.message_user(request, _("顧客の個人情報を消去し、お客様にお知らせしました。"))
            return redirect("admin:datarequests_datarequest_change", data_request.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("顧客の個人情報を消去する"),
            "original": data_request,
            "erasable": erasable,
            "form": form,
        }
        return TemplateResponse(request, "datarequests/admin/request_erase.html", context)
