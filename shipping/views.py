"""The label work's pages: waiting shipments and making a file, a shipment's page and a
gift's recipient (added, changed, revealed: masked on every page, read through the
reading path), one file's page and its one-time download, the owner's routines, and
reading tracking numbers back."""

import tempfile
import uuid

from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.reauth import require_recent_auth
from customers import reading
from customers.models import Customer
from customers.views import reveal_page
from policy.models import ShopProfile
from shipping import labels, services
from shipping.carriers import LAYOUTS
from shipping.forms import GIFT_MASKS, GiftForm, RoutineForm, TrackingForm
from shipping.models import LabelFile, LabelRoutine, Shipment
from vault.access import vault_view

VIEW_SHIPMENTS = "shipping.view_shipment"
ADD_SHIPMENTS = "shipping.add_shipment"
# Recording tracking numbers, and changing a waiting gift's recipient.
RECORD_TRACKING = CHANGE_SHIPMENTS = "shipping.change_shipment"
REVEAL = "customers.reveal_customer"
# A gift's field in the URL of its reveal: its words on the label's problems.
GIFT_URL_FIELDS = {
    "name": "recipient_name",
    "postal_code": "recipient_postal_code",
    "address": "recipient_address",
    "phone": "recipient_phone",
}
# How many waiting shipments the page lists: more than a day's cap of a small shop.
LISTED = 500


def page(request, template, context, *, status=200):
    """A label page inside the admin's frame (header, sign-out, menu)."""
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


@vault_view(VIEW_SHIPMENTS)
def shipment_list(request):
    return list_page(request)


def list_page(request, problems=None, status=200):
    """Waiting shipments, today's room under each routine, recent files, and (after a
    refused file) what to fix, by shipment and field."""
    services.expire_due(request=request)
    routines = [
        {"routine": r, "left": max(r.daily_cap - services.made_today(r), 0)}
        for r in services.active_routines()
    ]
    waiting = Shipment.objects.filter(state=Shipment.State.UNSHIPPED).prefetch_related("purchases")
    context = {
        "routines": routines,
        "waiting": waiting[:LISTED],
        "waiting_count": waiting.count(),
        "files": LabelFile.objects.select_related("routine", "made_by")[:20],
        "problems": problems or [],
        "can_make": request.user.has_perm(services.MAKE_LABEL_FILES),
        "can_approve": request.user.has_perm(services.APPROVE_ROUTINES),
    }
    return page(request, "shipping/list.html", context, status=status)


@vault_view(services.MAKE_LABEL_FILES)
@require_POST
def label_file_make(request):
    routine = LabelRoutine.objects.filter(pk=request.POST.get("routine"), active=True).first()
    if routine is None:
        messages.error(request, _("定型業務を選んでください。"))
        return redirect("shipping:list")
    try:
        label_file = services.make_label_file(
            request.user, routine, request.POST.getlist("shipments"), request=request
        )
    except services.LabelRefused as refusal:
        messages.error(request, refusal.message)
        if refusal.problems:
            return list_page(request, problems=refusal.problems, status=400)
        return redirect("shipping:list")
    return redirect("shipping:file", pk=label_file.pk)


def get_file_for(request, pk):
    """A label file the person may see: one they made, or any for who approves routines."""
    try:
        label_file = LabelFile.objects.select_related("routine", "made_by").get(pk=uuid.UUID(pk))
    except (ValueError, LabelFile.DoesNotExist):
        raise Http404 from None
    mine = label_file.made_by_id == request.user.pk
    if not (mine or request.user.has_perm(services.APPROVE_ROUTINES)):
        raise Http404
    return label_file


@vault_view(VIEW_SHIPMENTS)
def label_file_page(request, pk):
    services.expire_due(request=request)
    label_file = get_file_for(request, pk)
    context = {
        "file": label_file,
        "layout": LAYOUTS[label_file.carrier],
        "problem": services.download_problem(label_file, request.user),
    }
    return page(request, "shipping/file.html", context)


def file_page(request, pk):
    return reverse("shipping:file", args=[pk])


@vault_view(services.MAKE_LABEL_FILES)
@require_POST
@require_recent_auth(back=file_page)
def label_file_download(request, pk):
    label_file = get_file_for(request, pk)
    sink = tempfile.TemporaryFile()
    try:
        services.download_label_file(label_file, request.user, sink, request=request)
    except services.LabelRefused as refusal:
        sink.close()
        messages.error(request, refusal.message)
        return redirect("shipping:file", pk=label_file.pk)
    sink.seek(0)
    name = f"labels-{label_file.carrier}-{label_file.made_at:%Y%m%d}-{str(label_file.pk)[:8]}.csv"
    return FileResponse(
        sink, as_attachment=True, filename=name, content_type="text/csv; charset=Shift_JIS"
    )


@vault_view("shipping.view_labelroutine")
def routine_list(request):
    form = None
    if request.user.has_perm(services.APPROVE_ROUTINES):
        form = RoutineForm(initial=_routine_initial(), descriptions=services.default_descriptions())
    context = {"routines": LabelRoutine.objects.select_related("approved_by"), "form": form}
    return page(request, "shipping/routines.html", context)


def _routine_initial():
    shop = ShopProfile.objects.first()
    if shop is None:
        return {}
    return {
        "sender_name": shop.business_name_ja,
        "sender_address": shop.address_ja,
        "sender_phone": shop.contact_phone,
    }


@vault_view(services.APPROVE_ROUTINES)
@require_POST
@require_recent_auth(back=lambda request: reverse("shipping:routines"))
def routine_approve(request):
    form = RoutineForm(request.POST, descriptions=services.default_descriptions())
    if not form.is_valid():
        context = {"routines": LabelRoutine.objects.all(), "form": form}
        return page(request, "shipping/routines.html", context, status=400)
    services.approve_routine(
        request.user,
        descriptions=form.descriptions(),
        request=request,
        **{name: form.cleaned_data[name] for name in RoutineForm.Meta.fields},
    )
    messages.success(request, _("ラベル作成の定型業務を承認しました。"))
    return redirect("shipping:routines")


@vault_view(services.APPROVE_ROUTINES)
@require_POST
def routine_end(request, pk):
    routine = None
    if pk.isdigit():
        routine = LabelRoutine.objects.filter(pk=int(pk), active=True).first()
    if routine is None:
        raise Http404
    services.end_routine(request.user, routine, request=request)
    messages.success(request, _("定型業務を終了しました。"))
    return redirect("shipping:routines")


@vault_view(RECORD_TRACKING)
def tracking_upload(request):
    form = TrackingForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            result = services.record_tracking(
                request.user, form.cleaned_data["carrier"], content, request=request
            )
        except services.BadTrackingFile as bad:
            form.add_error("file", str(bad))
            status = 400
    elif request.method == "POST":
        status = 400
    return page(request, "shipping/tracking.html", {"form": form, "result": result}, status=status)


# Shipments and gifts ---------------------------------------------------------------------


@vault_view(ADD_SHIPMENTS, "customers.view_customer")
def gift_new(request, customer_id):
    """A shipment of a customer's purchases to another recipient (a gift): the recipient
    is typed here and sealed; nothing of the customer's is read."""
    customer = get_object_or_404(Customer, pk=customer_id)
    purchases = services.unshipped_purchases(request.user, customer)
    posted = request.POST if request.method == "POST" else None
    form = GiftForm(posted, purchases=purchases)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        recipient = labels.Recipient(
            data["recipient_name"],
            data["recipient_postal_code"],
            data["recipient_address"],
            data["recipient_phone"],
        )
        shipment = services.add_shipment(
            request.user, customer, data["purchases"], recipient=recipient, request=request
        )
        messages.success(request, _("ギフトの出荷を登録しました。"))
        return redirect("shipping:shipment", shipment_id=shipment.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "customer": customer, "heading": _("ギフトの出荷を登録する")}
    return page(request, "shipping/gift_form.html", context, status=status)


def get_shipment_for(request, shipment_id):
    """The shipment ``shipment_id`` (``vault_view`` has checked the permission), or 404."""
    return get_object_or_404(
        Shipment.objects.select_related("customer", "label_file"), pk=shipment_id
    )


@vault_view(VIEW_SHIPMENTS)
@require_safe
def shipment_page(request, shipment_id):
    """One shipment: its state, how many purchases it holds and where it goes; a gift's
    recipient masked, each value with its reveal. Read and recorded (customer.view of
    this shipment, naming its customer) like a customer's page."""
    with reading.object_page(request, Shipment, shipment_id) as shown:
        shipment = get_shipment_for(request, shipment_id)
        recipient = []
        if not shipment.to_address_on_file:
            recipient = [
                (
                    url_field,
                    Shipment._meta.get_field(name).verbose_name,
                    mask(getattr(shipment, name)),
                )
                for (url_field, name), mask in zip(
                    GIFT_URL_FIELDS.items(), GIFT_MASKS.values(), strict=True
                )
            ]
        context = {
            "shipment": shipment,
            "recipient": recipient,
            "purchase_count": shipment.purchases.count(),
            "can_change": services.may_change_gift(shipment)
            and request.user.has_perm(CHANGE_SHIPMENTS),
            "can_reveal": request.user.has_perm(REVEAL),
        }
        response = page(request, "shipping/shipment.html", context)
        shown.shown(shipment)
    return response


@vault_view(CHANGE_SHIPMENTS)
def gift_edit(request, shipment_id):
    """Change a waiting gift's recipient: each field blank keeps its value (the page never
    shows one), typed replaces it; recorded naming the fields changed."""
    with reading.object_page(request, Shipment, shipment_id) as shown:
        shipment = get_shipment_for(request, shipment_id)
        if not services.may_change_gift(shipment):
            messages.error(
                request, _("このお届け先は変えられません（ギフトの未発送の出荷だけです）。")
            )
            return redirect("shipping:shipment", shipment_id=shipment.pk)
        posted = request.POST if request.method == "POST" else None
        form = GiftForm(posted, instance=shipment)
        if request.method == "POST" and form.is_valid():
            try:
                services.change_gift(
                    request.user, form.instance, form.changed_data, request=request
                )
            except services.LabelRefused as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(request, _("お届け先を保存しました。"))
            return redirect("shipping:shipment", shipment_id=shipment.pk)
        status = 400 if request.method == "POST" else 200
        context = {"form": form, "shipment": shipment, "heading": _("お届け先を変更する")}
        response = page(request, "shipping/gift_form.html", context, status=status)
        shown.shown(shipment)
    return response


@vault_view(VIEW_SHIPMENTS, REVEAL)
def gift_reveal(request, shipment_id, field):
    """One value of a gift's recipient, with a reason: the customer's reveal (its quota,
    its reason check, its customer.reveal entry naming this shipment)."""
    shipment = get_shipment_for(request, shipment_id)
    name = GIFT_URL_FIELDS.get(field)
    if name is None or shipment.to_address_on_file:
        raise Http404
    back = reverse("shipping:shipment", args=[shipment.pk])
    return reveal_page(
        request,
        shipment.customer,
        _("%(shipment)s の%(field)s")
        % {
            "shipment": shipment,
            "field": Shipment._meta.get_field(name).verbose_name,
        },
        lambda why: reading.reveal_customers_row_value(request, shipment, name, why),
        back=(back, _("出荷のページに戻る")),
        also_known=lambda: reading.reason_check_values(
            shipment, fields=("recipient_phone", "recipient_address"), names=("recipient_name",)
        ),
    )
