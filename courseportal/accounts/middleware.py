"""Activates the language a signed-in user chose, wherever they sign in from."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class UserLanguageMiddleware:
    """Sets the language cookie's value from the user's profile before LocaleMiddleware reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._profile_language(request)
        if language:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)

    @staticmethod
    def _profile_language(request: HttpRequest) -> str:
        # The session middleware has run, authentication has not: read the user lazily ourselves.
        from django.contrib.auth import get_user

        user = get_user(request)
        if not user.is_authenticated:
            return ""
        profile = getattr(user, "profile", None)
        return profile.language if profile else ""
