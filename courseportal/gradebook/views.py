from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from courseportal.courses.models import Course
from courseportal.courses.selectors import course_for_member, user_is_instructor
from courseportal.gradebook.exports import gradebook_write_csv
from courseportal.gradebook.selectors import ScoreChoice, gradebook_for


def _instructed_course_or_404(request: HttpRequest, course_slug: str) -> Course:
    course = course_for_member(user=request.user, course_slug=course_slug)
    if course is None or not user_is_instructor(user=request.user, course=course):
        raise Http404
    return course


def _score_choice(request: HttpRequest) -> ScoreChoice:
    try:
        return ScoreChoice(request.GET.get("score", ScoreChoice.BEST))
    except ValueError:
        return ScoreChoice.BEST


@login_required
@require_GET
def gradebook_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _instructed_course_or_404(request, course_slug)
    gradebook = gradebook_for(course=course, choice=_score_choice(request))
    return render(request, "gradebook/gradebook.html", {"gradebook": gradebook, "course": course,
                                                        "choices": list(ScoreChoice)})


@login_required
@require_GET
def gradebook_csv(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _instructed_course_or_404(request, course_slug)
    gradebook = gradebook_for(course=course, choice=_score_choice(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{course.slug}-gradebook-{gradebook.choice}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese names) only with a byte-order mark
    gradebook_write_csv(gradebook, response)
    return response
