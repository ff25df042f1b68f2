from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from courseportal.courses.admin import course_local_time
from courseportal.courses.forms import course_zone
from courseportal.submissions.models import Result, Submission, UploadRefusal
from courseportal.submissions.services import RegradeRefused, submission_regrade


class ResultInline(admin.StackedInline):
    """Read-only: a score changes only through services.scores.result_change, which records it."""

    model = Result
    can_delete = False
    extra = 0

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Result._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only: submissions change only through the upload and grading services."""

    list_display = ["id", "student", "assignment", "filename", "status", "created_at_local", "attempts"]
    list_filter = ["status", "assignment__course", "assignment"]
    search_fields = ["student__username", "filename"]
    list_select_related = ["student", "assignment__course"]
    date_hierarchy = "created_at"
    inlines = [ResultInline]
    actions = ["regrade"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["time_zone_shown"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Staff read upload and grading times against the course's deadlines, so show them in its zone.
        submission = self.get_object(request, unquote(object_id))
        zone = course_zone(submission.assignment.course) if submission else None
        with timezone.override(zone):
            response = super().change_view(request, object_id, form_url, extra_context)
            # A TemplateResponse renders after the view returns, outside the override, unless rendered here.
            return response.render() if hasattr(response, "render") else response

    @admin.display(description=_("Uploaded"), ordering="created_at")
    def created_at_local(self, submission: Submission) -> str:
        return course_local_time(submission.created_at, submission.assignment.course)

    @admin.display(description=_("Times shown in"))
    def time_zone_shown(self, submission: Submission) -> str:
        return course_zone(submission.assignment.course).key

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_regrade_permission(self, request) -> bool:
        return request.user.has_perm("submissions.regrade_submission")

    @admin.action(description=_("Regrade the selected submissions"), permissions=["regrade"])
    def regrade(self, request, queryset) -> None:
        queued = kept = 0
        for submission in queryset.select_related("assignment"):
            try:
                queued += submission_regrade(submission=submission, requested_by=request.user)
            except RegradeRefused:
                kept += 1
        self.message_user(request, ngettext("%(count)d submission queued for grading again.",
                                            "%(count)d submissions queued for grading again.", queued)
                          % {"count": queued}, messages.SUCCESS)
        if kept:
            self.message_user(request, ngettext("%(count)d report graded by a TA was left as graded.",
                                                "%(count)d reports graded by a TA were left as graded.", kept)
                              % {"count": kept}, messages.WARNING)


@admin.register(UploadRefusal)
class UploadRefusalAdmin(admin.ModelAdmin):
    """Read-only: who was refused what, and when (the file itself is never kept)."""

    list_display = ["at", "student", "assignment", "reason"]
    list_filter = ["assignment__course", "assignment"]
    search_fields = ["student__username", "reason"]
    list_select_related = ["student", "assignment"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
