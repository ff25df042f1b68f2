from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Per-user preferences; the account name itself is ``User.username`` (e.g. ``310510123``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True, default="")

    def __str__(self) -> str:
        return f"profile of {self.user}"
