"""Reads about accounts shared by several parts of the portal."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User

from courseportal.accounts.models import Profile


def user_language(user: User) -> str:
    """The language to write to ``user`` in when they are not looking (an e-mail): the one they
    chose in the portal, else the site's default."""
    if User.profile.related.is_cached(user):  # loaded with the user (select_related("student__profile"))
        profile = getattr(user, "profile", None)
        chosen = profile.language if profile is not None else ""
    else:
        chosen = Profile.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return chosen or settings.LANGUAGE_CODE
