from django import template

from audit.alerts import open_alerts
from shopguard.roles import OWNER, has_role

register = template.Library()


@register.inclusion_tag("audit/_alert_banner.html", takes_context=True)
def owner_alert_banner(context):
    """Open alerts, shown to the owner until acknowledged."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not has_role(user, OWNER):
        return {"alerts": []}
    return {
        "alerts": list(open_alerts()[:20]),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
