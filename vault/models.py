from django.db import models


class LimitCounter(models.Model):
    """The recent uses of one limit by one key (see ``vault.limits``). Each use is
    counted with this row locked, so parallel requests for the same key queue on it."""

    limit = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    # Times (Unix seconds) of the uses still inside the limit's window: at most its number.
    uses = models.JSONField(default=list)
    # The newest of them: a row whose newest use has left the window is forgotten.
    last_use = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["limit", "key"], name="vault_limit_key_unique")
        ]
        indexes = [models.Index(fields=["limit", "last_use"], name="vault_limit_last_use")]

    def __str__(self) -> str:
        return f"{self.limit} {self.key}"
