"""Every kind of response carries the Content-Security-Policy and the other headers a reviewer
expects, and no template needs the policy loosened (no inline script, style or event handler)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path, reverse

from courseportal.security_headers import SecurityHeadersMiddleware, content_security_policy, policy_header
from courseportal.urls import urlpatterns as portal_urlpatterns
from tests.portal.conftest import signed_in, submit_and_grade

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
SITE_POLICY = policy_header(django_settings.CONTENT_SECURITY_POLICY)


def failing_view(request):
    raise RuntimeError("a bug in a view")


# The portal's own URLs plus one view that fails, for the 500 page.
urlpatterns = [path("broken/", failing_view), *portal_urlpatterns]


def directives(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


def assert_protected(response, *, policy: str = SITE_POLICY) -> None:
    """The headers every response carries (X-Frame-Options, for pages, is checked separately)."""
    assert response["Content-Security-Policy"] == policy
    assert response["Permissions-Policy"].startswith("accelerometer=()")
    assert "camera=()" in response["Permissions-Policy"] and "microphone=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_site_policy_allows_only_the_sites_own_scripts_and_styles():
    policy = directives(SITE_POLICY)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"] and policy["object-src"] == ["'none'"]
    loose = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:", "blob:"}
    assert not loose & {source for sources in policy.values() for source in sources}


@pytest.fixture
def graded(student, assignment):
    return submit_and_grade(student, assignment)


@pytest.mark.parametrize("page", [
    "sign-in", "anonymous redirect", "home", "assignment", "refused upload", "submission", "status block",
    "staff list", "gradebook", "gradebook csv", "language switch", "admin", "not found", "forbidden",
    "expired form", "paused sign-in", "static file", "favicon",
])
def test_every_kind_of_page_carries_the_policy(page, student, ta, instructor, assignment, graded, client):
    course, hw = "ai-training-2", "hw1"
    requests = {
        "sign-in": lambda: client.get(reverse("login")),
        "anonymous redirect": lambda: client.get(reverse("home")),
        "home": lambda: signed_in(student).get(reverse("home")),
        "assignment": lambda: signed_in(student).get(reverse("submissions:assignment", args=[course, hw])),
        "refused upload": lambda: signed_in(student).post(reverse("submissions:upload", args=[course, hw]), {}),
        "submission": lambda: signed_in(student).get(reverse("submissions:detail", args=[graded.pk])),
        "status block": lambda: signed_in(student).get(reverse("submissions:status", args=[graded.pk])),
        "staff list": lambda: signed_in(ta).get(reverse("submissions:assignment_list", args=[course, hw])),
        "gradebook": lambda: signed_in(instructor).get(reverse("gradebook:course", args=[course])),
        "gradebook csv": lambda: signed_in(instructor).get(reverse("gradebook:csv", args=[course])),
        "language switch": lambda: client.post(reverse("accounts:language"), {"language": "zh-hant"}),
        "admin": lambda: signed_in(get_user_model().objects.create_superuser("root", "r@example.edu", "x")).get(
            reverse("admin:index")),
        "not found": lambda: signed_in(student).get("/no/such/page/"),
        "forbidden": lambda: signed_in(student).post(reverse("submissions:regrade", args=[graded.pk])),
        "expired form": lambda: Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"}),
        "paused sign-in": lambda: [client.post(reverse("login"), {"username": student.username, "password": "wrong"})
                                   for _ in range(6)][-1],
        "static file": lambda: client.get("/static/courseportal/portal.js"),
        "favicon": lambda: client.get("/favicon.ico"),
    }
    response = requests[page]()
    assert response.status_code in (200, 301, 302, 400, 403, 404, 429), response.status_code
    assert_protected(response)
    if page != "static file":  # WhiteNoise answers before Django's frame middleware; CSP covers it
        assert response["X-Frame-Options"] == "DENY"


def test_server_error_page_carries_the_policy_and_loads_only_our_static_files(settings, client):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert_protected(response)
    assert response["X-Frame-Options"] == "DENY"
    page = response.content.decode()
    assert "style=" not in page
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert client.get(url).status_code == 200, url


def test_downloads_are_sandboxed_even_if_a_browser_renders_them(student, assignment, graded):
    client = signed_in(student)
    for url in (reverse("submissions:download", args=[graded.pk]),
                reverse("courses:starter", args=["ai-training-2", "hw1", "portal_echo_starter.py"])):
        response = client.get(url)
        assert response.status_code == 200
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"] and policy["sandbox"] == []
        assert policy["frame-ancestors"] == ["'none'"]  # everything else stays as strict as the site's


def test_a_view_can_widen_one_directive_for_its_own_page_only():
    """The later PDF viewer's case: one page may frame our own documents; no other page may."""

    @content_security_policy(frame_src=["'self'"], sandbox=[])
    def viewer(request):
        return HttpResponse("viewer")

    def plain(request):
        return HttpResponse("plain")

    request = RequestFactory().get("/")
    widened = directives(SecurityHeadersMiddleware(viewer)(request)["Content-Security-Policy"])
    unchanged = SecurityHeadersMiddleware(plain)(request)["Content-Security-Policy"]
    assert widened["frame-src"] == ["'self'"] and widened["sandbox"] == []
    assert {name: sources for name, sources in widened.items() if name not in ("frame-src", "sandbox")} \
        == {name: sources for name, sources in directives(SITE_POLICY).items() if name != "frame-src"}
    assert unchanged == SITE_POLICY


INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE), "inline script"),
    (re.compile(r"<style\b", re.IGNORECASE), "style element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def portal_templates() -> list[Path]:
    templates = sorted((REPO / "courseportal").glob("**/templates/**/*.html"))
    assert len(templates) >= 15  # the glob found the portal's templates, not nothing
    return templates


@pytest.mark.parametrize("template", portal_templates(), ids=lambda path: str(path.relative_to(REPO)))
def test_no_template_needs_inline_script_or_style(template):
    text = template.read_text()
    found = [what for pattern, what in INLINE_CODE if pattern.search(text)]
    assert found == [], f"{template.relative_to(REPO)}: {found}"


def test_the_poller_script_builds_no_inline_style_or_script():
    script = (REPO / "courseportal" / "static" / "courseportal" / "portal.js").read_text()
    assert not re.search(r"\.style\b|setAttribute\(\s*[\"']style|eval\(|new Function|<script", script)

