"""What a browser may do with the portal's pages: Content-Security-Policy and Permissions-Policy.

The site-wide policy lives in one place, ``settings.CONTENT_SECURITY_POLICY`` (a dict of directive
-> sources); ``SecurityHeadersMiddleware`` sends it, with ``settings.PERMISSIONS_POLICY`` and
``Cross-Origin-Resource-Policy``, on every response. Django's ``SecurityMiddleware`` already
sends ``Referrer-Policy``, ``Cross-Origin-Opener-Policy``, ``X-Content-Type-Options`` and HSTS,
and ``XFrameOptionsMiddleware`` ``X-Frame-Options`` (configured in settings, next to the policy).

A page that needs more than the site-wide policy widens only what it needs, on that view only::

    @content_security_policy(frame_src=["'self'"])       # a page that shows a PDF in a frame
    def report_viewer(request, pk): ...

    @content_security_policy(frame_ancestors=["'self'"])  # the PDF itself, framed by that page
    @xframe_options_sameorigin
    def report_pdf(request, pk): ...

Underscores stand for dashes; each named directive replaces the site-wide one, an empty list
sends the bare directive (``sandbox=[]``), ``None`` removes it; every other directive stays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Policy = Mapping[str, Sequence[str]]
View = Callable[..., HttpResponse]
# The attribute a view's response carries when the view changed the policy.
_POLICY_CHANGES = "content_security_policy_changes"


def policy_header(policy: Policy) -> str:
    """``{"script-src": ["'self'"], "sandbox": []}`` -> ``"script-src 'self'; sandbox"``."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def permissions_header(permissions: Mapping[str, Sequence[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` -> ``"camera=(), fullscreen=(self)"``."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in permissions.items())


def policy_for(response: HttpResponse) -> dict[str, Sequence[str]]:
    """The site-wide policy with the changes the response's view asked for."""
    policy = dict(settings.CONTENT_SECURITY_POLICY)
    for directive, sources in getattr(response, _POLICY_CHANGES, {}).items():
        if sources is None:
            policy.pop(directive, None)
        else:
            policy[directive] = list(sources)
    return policy


def content_security_policy(**changes: Sequence[str] | None) -> Callable[[View], View]:
    """Decorate a view whose page needs a narrowly different policy (see the module docstring)."""
    by_directive = {name.replace("_", "-"): sources for name, sources in changes.items()}

    def decorate(view: View) -> View:
        @wraps(view)
        def with_policy(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            setattr(response, _POLICY_CHANGES, by_directive)
            return response

        return with_policy

    return decorate


# A file served for download (an upload, a starter file): should a browser render it anyway, it
# loads nothing and runs nothing.
file_download_policy = content_security_policy(default_src=["'none'"], sandbox=[])


class SecurityHeadersMiddleware:
    """Sends the policy headers on every response, error pages and static files included.

    Listed first in ``MIDDLEWARE``, so it also sees the responses other middleware return
    themselves (WhiteNoise's files, the sign-in throttle's page) and those made from exceptions.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = permissions_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Content-Security-Policy"] = policy_header(policy_for(response))
        response["Permissions-Policy"] = self.permissions_policy
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
