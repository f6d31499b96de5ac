from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackedSession(models.Model):
    """Which sessions belong to whom, so that deactivating a person or changing their
    password can end every one of their sessions at once, on the server."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("セッション")
        verbose_name_plural = _("セッション")

    def __str__(self):
        return f"session of user #{self.user_id}"
