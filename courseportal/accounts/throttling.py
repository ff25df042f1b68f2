"""The sign-in throttle: slows password guessing down without letting anyone lock someone else out.

A campus network shows the whole class as one address, so a rule keyed on the address (or on
username and address, as before) lets a classmate lock a student out before a deadline with five
wrong passwords. Instead, three counts of recent wrong passwords (``SignInFailure`` rows, over the
last ``SIGN_IN_WINDOW_MINUTES``):

* **Trusted devices are never held back by others.** A browser where an account signed in before
  carries a signed device cookie for that account (``DEVICE_COOKIE``). Its attempts skip the two
  rules below, so the owner signs in where they always do, whatever anyone else tries. Its own
  wrong passwords count against it alone: after ``SIGN_IN_DEVICE_FAILURE_LIMIT`` it is treated as
  untrusted until the window has passed (a stolen laptop gets no free guesses).
* **Per account, from untrusted browsers:** after ``SIGN_IN_ACCOUNT_FAILURE_LIMIT`` wrong passwords,
  untrusted sign-ins to the account pause until the oldest of them leaves the window. The pause is
  bound to the password it protects: resetting the password (a link only the owner's mailbox gets)
  ends it at once, and the locked-out page says so.
* **Per address, from untrusted browsers, across accounts** (guessing many accounts): after
  ``SIGN_IN_ADDRESS_FREE_FAILURES`` each next attempt waits a delay that doubles with every further
  failure, up to ``SIGN_IN_ADDRESS_MAX_DELAY_S``; an attempt that comes early is refused unchecked.
  Seconds, never a lockout, because honest students share the address.

Refused attempts are not counted (their password is never checked). A correct password clears only
a trusted device's own count, so a guesser gains nothing by signing in to their own account between
guesses; the browser it was typed in is trusted from then on.
Counts are read before the password is checked, so concurrent requests can overshoot a limit by
the number of requests in flight: a few guesses, not a way around the throttle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import get_random_string, salted_hmac

from courseportal.accounts.models import SignInFailure

DEVICE_COOKIE = "courseportal_device"
DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 3600  # the longest browsers keep a cookie
_DEVICE_SALT = "courseportal.accounts.throttling.device"
_PASSWORD_SALT = "courseportal.accounts.throttling.password"


class RefusalReason(StrEnum):
    ACCOUNT_PAUSED = "account_paused"
    ADDRESS_SLOWED = "address_slowed"


@dataclass(frozen=True)
class SignInAttempt:
    """Who is trying to sign in, from where, and which password they are up against."""

    username: str
    address: str
    device: str  # the id of a trusted device of this account that is still trusted, else ""
    password_fingerprint: str  # "" when no such account exists
    at: datetime


@dataclass(frozen=True)
class SignInRefusal:
    reason: RefusalReason
    retry_at: datetime

    def seconds_left(self, now: datetime | None = None) -> int:
        return max(1, int((self.retry_at - (now or timezone.now())).total_seconds() + 0.999))

    def minutes_left(self, now: datetime | None = None) -> int:
        return max(1, (self.seconds_left(now) + 59) // 60)


def window() -> timedelta:
    return timedelta(minutes=settings.SIGN_IN_WINDOW_MINUTES)


def client_address(request: HttpRequest) -> str:
    """The client's address: ``settings.CLIENT_ADDRESS_HEADER`` when a proxy in front sets it (and
    the app is reachable only through that proxy), else the connection's own address."""
    if settings.CLIENT_ADDRESS_HEADER:
        forwarded = request.headers.get(settings.CLIENT_ADDRESS_HEADER, "").split(",")[0].strip()
        if forwarded:
            return forwarded[:45]
    return request.META.get("REMOTE_ADDR", "")[:45]


def password_fingerprint(user) -> str:
    """A short tag that changes whenever the user's password does (never the hash itself)."""
    return salted_hmac(_PASSWORD_SALT, user.password).hexdigest()[:16]


def sign_in_attempt(request: HttpRequest, *, username: str) -> SignInAttempt:
    """Describe a sign-in attempt for ``username`` by ``request`` (one or two queries)."""
    user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    now = timezone.now()
    device = _device_in(request, user_id=user.pk) if user is not None else ""
    if device and _recent(SignInFailure.objects.filter(username=username, device=device), now).count() \
            >= settings.SIGN_IN_DEVICE_FAILURE_LIMIT:
        device = ""  # this browser has guessed too often itself: it gets no exemption for now
    return SignInAttempt(username=username[:150], address=client_address(request), device=device,
                         password_fingerprint=password_fingerprint(user) if user is not None else "", at=now)


def sign_in_refusal(attempt: SignInAttempt) -> SignInRefusal | None:
    """Why ``attempt`` may not be checked now (see the module docstring), or None if it may."""
    if attempt.device:
        return None
    return _account_pause(attempt) or _address_delay(attempt)


def _recent(failures: QuerySet, now: datetime) -> QuerySet:
    return failures.filter(at__gt=now - window())


def _untrusted(failures: QuerySet) -> QuerySet:
    return failures.filter(device="")


def _account_pause(attempt: SignInAttempt) -> SignInRefusal | None:
    limit = settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT
    against_this_password = SignInFailure.objects.filter(username=attempt.username,
                                                         password_fingerprint=attempt.password_fingerprint)
    latest = list(_recent(_untrusted(against_this_password), attempt.at).order_by("-at").values_list("at", flat=True)
                  [:limit])
    if len(latest) < limit:
        return None
    return SignInRefusal(RefusalReason.ACCOUNT_PAUSED, retry_at=latest[-1] + window())


def _address_delay(attempt: SignInAttempt) -> SignInRefusal | None:
    failures = _recent(_untrusted(SignInFailure.objects.filter(address=attempt.address)), attempt.at)
    beyond_free = failures.count() - settings.SIGN_IN_ADDRESS_FREE_FAILURES
    if beyond_free < 0:
        return None
    delay_s = min(2 ** min(beyond_free, 30), settings.SIGN_IN_ADDRESS_MAX_DELAY_S)
    retry_at = failures.order_by("-at").values_list("at", flat=True)[0] + timedelta(seconds=delay_s)
    if retry_at <= attempt.at:
        return None
    return SignInRefusal(RefusalReason.ADDRESS_SLOWED, retry_at=retry_at)


# --- Trusted devices ------------------------------------------------------------------------------

def _device_in(request: HttpRequest, *, user_id: int) -> str:
    """The device id the request's cookie vouches for, if it was issued to ``user_id``; else ""."""
    try:
        issued = signing.loads(request.COOKIES.get(DEVICE_COOKIE, ""), salt=_DEVICE_SALT,
                               max_age=DEVICE_COOKIE_MAX_AGE_S)
    except signing.BadSignature:
        return ""
    if not isinstance(issued, dict) or issued.get("user") != user_id:
        return ""
    return str(issued.get("device", ""))[:32]


def trusted_device_remember(request: HttpRequest, response: HttpResponse, *, user) -> None:
    """After ``user`` signed in with their password: make this browser one of their trusted devices
    (keeping its id if it already was one). A browser holds one account's device cookie: the last
    account that signed in on it."""
    device = _device_in(request, user_id=user.pk) or get_random_string(32)
    response.set_cookie(
        DEVICE_COOKIE, signing.dumps({"user": user.pk, "device": device}, salt=_DEVICE_SALT),
        max_age=DEVICE_COOKIE_MAX_AGE_S, secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )
