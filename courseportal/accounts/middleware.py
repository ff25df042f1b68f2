"""Activates the language a signed-in user chose, on whichever browser they sign in from."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY as USER_ID_SESSION_KEY
from django.http import HttpRequest, HttpResponse

from courseportal.accounts.models import Profile

# The session remembers (user id, language) so the profile is read once per sign-in, not per request.
LANGUAGE_SESSION_KEY = "courseportal_profile_language"


class UserLanguageMiddleware:
    """Puts the profile's language where ``LocaleMiddleware`` looks first: the language cookie.

    Runs after the session middleware and before ``LocaleMiddleware`` and authentication, so it
    reads the signed-in user's id from the session instead of loading the user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = profile_language(request)
        if language:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)


def profile_language(request: HttpRequest) -> str:
    """The signed-in user's chosen language code, or "" when anonymous or without a choice."""
    user_id = request.session.get(USER_ID_SESSION_KEY)
    if user_id is None:
        return ""
    remembered = request.session.get(LANGUAGE_SESSION_KEY)
    if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == str(user_id):
        return remembered[1]
    language = Profile.objects.filter(user_id=user_id).values_list("language", flat=True).first() or ""
    remember_language(request, user_id=user_id, language=language)
    return language


def remember_language(request: HttpRequest, *, user_id: int | str, language: str) -> None:
    request.session[LANGUAGE_SESSION_KEY] = [str(user_id), language]
