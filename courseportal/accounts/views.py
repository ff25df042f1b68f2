from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from courseportal.accounts.backends import REFUSAL_ATTRIBUTE
from courseportal.accounts.forms import LanguageForm
from courseportal.accounts.middleware import remember_language
from courseportal.accounts.services import profile_language_set
from courseportal.accounts.throttling import RefusalReason, SignInRefusal, trusted_device_remember


class LoginView(auth_views.LoginView):
    """Sign-in; the browser becomes a trusted device of the account once the password was right,
    and an attempt the throttle refused says why, and what to do, with status 429."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        trusted_device_remember(self.request, response, user=form.get_user())
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        refusal: SignInRefusal | None = getattr(self.request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return super().form_invalid(form)
        if refusal.reason == RefusalReason.ACCOUNT_PAUSED:
            return render(self.request, "accounts/locked_out.html",
                          {"minutes_left": refusal.minutes_left(), "failure_limit": settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT},
                          status=429)
        context = self.get_context_data(form=form, wait_seconds=refusal.seconds_left())
        return self.render_to_response(context, status=429)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: kept in the profile when signed in, in a cookie always."""
    form = LanguageForm(request.POST)
    target = _safe_next(request, form.data.get("next", ""))
    if not form.is_valid():
        return HttpResponseRedirect(target)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        profile_language_set(user=request.user, language=language)
        remember_language(request, user_id=request.user.pk, language=language)
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )
    return response


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)
