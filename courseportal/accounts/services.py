"""Writes for accounts: a user's own preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User

from courseportal.accounts.models import Profile


def profile_language_set(*, user: User, language: str) -> Profile:
    """Remember ``language`` (a code from ``settings.LANGUAGES``) as ``user``'s interface language."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of settings.LANGUAGES")
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"language": language})
    return profile
