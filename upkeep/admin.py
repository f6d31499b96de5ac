"""The register of vulnerability diagnoses and software updates: the owner records each,
the auditor reads them. A record is corrected (a finding fixed), never deleted; each
save is a ledger entry naming the record and its kind, never its text."""

from django.contrib import admin
from django.db import transaction

from audit.actions import Action
from audit.ledger import record
from upkeep.models import SecurityCheck
from vault.access import PermissionAdmin


@admin.register(SecurityCheck)
class SecurityCheckAdmin(PermissionAdmin, admin.ModelAdmin):
    never = ("delete",)
    list_display = ("done_on", "kind", "done_by", "fixed_on", "recorded_by")
    list_filter = ("kind",)
    fields = ("kind", "done_on", "done_by", "findings", "fixed_on")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if not change:
                obj.recorded_by = request.user
            super().save_model(request, obj, form, change)
            record(
                Action.SECURITY_CHECK_RECORD,
                request=request,
                target=obj,
                detail={
                    "kind": obj.kind,
                    "done_on": obj.done_on.isoformat(),
                    "fixed_on": obj.fixed_on.isoformat() if obj.fixed_on else None,
                    "changed": sorted(form.changed_data) if change else [],
                },
            )
