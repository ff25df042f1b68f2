from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from courseportal.courses.selectors import assignment_for_viewer, course_overviews_for
from courseportal.security_headers import file_download_policy
from courseportal.submissions.selectors import checker_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/home.html", {"overviews": course_overviews_for(user=request.user)})


@file_download_policy
@login_required
def starter_download(request: HttpRequest, course_slug: str, assignment_slug: str, name: str) -> FileResponse:
    """A starter file of the assignment's checker, for members of its course only."""
    assignment = assignment_for_viewer(user=request.user, course_slug=course_slug, assignment_slug=assignment_slug)
    checker = checker_for(assignment=assignment) if assignment else None
    if checker is None:
        raise Http404
    try:
        path = checker.starter_path(name)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response
