from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from courseportal.courses.models import Course
from courseportal.courses.selectors import course_for_staff, user_is_instructor
from courseportal.gradebook.exports import gradebook_write_csv
from courseportal.gradebook.selectors import gradebook_for


def _taught_course_or_404(request: HttpRequest, course_slug: str) -> Course:
    """The course if the user is on its staff: instructors and TAs read the gradebook (TAs only read)."""
    course = course_for_staff(user=request.user, course_slug=course_slug)
    if course is None:
        raise Http404
    return course


@login_required
@require_GET
def gradebook_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _taught_course_or_404(request, course_slug)
    context = {"gradebook": gradebook_for(course=course), "course": course,
               "is_instructor": user_is_instructor(user=request.user, course=course)}
    return render(request, "gradebook/gradebook.html", context)


@login_required
@require_GET
def gradebook_csv(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _taught_course_or_404(request, course_slug)
    gradebook = gradebook_for(course=course)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-gradebook.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese names) only with a byte-order mark
    gradebook_write_csv(gradebook, response)
    return response
