from django import template

from audit.alerts import RECEIVE_ALERTS, open_alerts
from audit.display import format_when

register = template.Library()


@register.filter
def japan_time(moment):
    """A time as the ledger shows it: 2026年12月2日 14:05 / 2 Dec 2026, 14:05."""
    return format_when(moment)


@register.inclusion_tag("audit/_alert_banner.html", takes_context=True)
def owner_alert_banner(context):
    """Open alerts, shown to who receives them (the owner) until acknowledged."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm(RECEIVE_ALERTS):
        return {"alerts": []}
    return {
        "alerts": list(open_alerts()[:20]),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
