from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    """Per-user preferences; the account name itself is ``User.username`` (e.g. ``310510123``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True, default="")

    def __str__(self) -> str:
        return f"profile of {self.user}"


class SignInFailure(models.Model):
    """One wrong password, as the sign-in throttle counts it (``courseportal/accounts/throttling.py``).

    Kept for a day at most; the throttle looks only at the last few minutes.
    """

    username = models.CharField(max_length=150)  # as typed: the account may not exist
    address = models.CharField(max_length=45)  # the client's IP address
    # The trusted device (a browser where the account signed in before) it came from, or "".
    device = models.CharField(max_length=32, blank=True, default="")
    # Which password the guess was against: a new password (a reset) starts the count afresh.
    password_fingerprint = models.CharField(max_length=16, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("sign-in failure")
        verbose_name_plural = _("sign-in failures")
        indexes = [
            models.Index(fields=["username", "at"], name="signin_failure_account"),
            models.Index(fields=["address", "at"], name="signin_failure_address"),
            models.Index(fields=["at"], name="signin_failure_at"),
        ]

    def __str__(self) -> str:
        return f"wrong password for {self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M:%S}"
