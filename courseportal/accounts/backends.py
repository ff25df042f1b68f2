"""Password sign-in behind the sign-in throttle, for every form that signs in (ours and the admin's)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from courseportal.accounts.services import sign_in_failure_record, sign_in_success_record
from courseportal.accounts.throttling import sign_in_attempt, sign_in_refusal

# Where a refused attempt's reason waits for the sign-in view (authenticate() returns only None).
REFUSAL_ATTRIBUTE = "sign_in_refusal"


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, asked only when the throttle allows the attempt.

    A refused attempt raises ``PermissionDenied``, which makes ``authenticate()`` stop without
    asking any other backend or checking the password; its reason is left on the request.
    Without a request (a management command, a test helper) nothing is throttled.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs):
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        attempt = sign_in_attempt(request, username=username)
        refusal = sign_in_refusal(attempt)
        if refusal is not None:
            setattr(request, REFUSAL_ATTRIBUTE, refusal)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            sign_in_failure_record(attempt=attempt)
        else:
            sign_in_success_record(attempt=attempt)
        return user
