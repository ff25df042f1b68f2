from __future__ import annotations

from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseportal.courses.forms import (
    AssignmentAdminForm,
    CourseAssignmentFormSet,
    RosterImportForm,
    course_zone,
)
from courseportal.courses.models import Assignment, Course, Membership
from courseportal.courses.services import (
    TIME_RULE_FIELDS,
    holds_scores_by_default,
    membership_set,
    roster_import,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


def course_local_time(moment: datetime | None, course: Course) -> str:
    """``moment`` as a wall-clock time in the course's zone, with the zone named (admin lists mix courses)."""
    if moment is None:
        return "-"
    zone = course_zone(course)
    return f"{date_format(moment.astimezone(zone), 'DATETIME_FORMAT')} ({zone.key})"


class AssignmentInline(admin.StackedInline):
    # Stacked, paired fields: as a table row, two date-and-time pickers with the course's zone beside
    # slug, title and checker made the course page 1,728 px wide on a 1,280 px screen.
    model = Assignment
    form = AssignmentAdminForm
    formset = CourseAssignmentFormSet
    extra = 0
    fields = [("slug", "title"), "checker_slug", ("opens_at", "due_at"), ("weight_percent", "is_published")]
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "time_zone"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [AssignmentInline, MembershipInline]
    actions = ["import_roster"]
    change_form_template = "admin/courses/course/change_form.html"

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Assignment:
            for assignment in formset.new_objects:
                Assignment.objects.filter(pk=assignment.pk).update(
                    holds_scores=holds_scores_by_default(checker_slug=assignment.checker_slug))
            for assignment, changed_fields in formset.changed_objects:
                rescore_if_time_rules_changed(assignment=assignment, changed_fields=changed_fields, by=request.user)
        if formset.model is Membership:
            # Through the service, so staff roles join the group that grants their permissions.
            for membership in formset.new_objects + [changed for changed, _fields in formset.changed_objects]:
                membership_set(course=membership.course, user=membership.user, role=membership.role)

    def get_urls(self):
        roster = path("<int:course_id>/roster/", self.admin_site.admin_view(self.roster_import_view),
                      name="courses_course_roster")
        return [roster, *super().get_urls()]

    @admin.action(description=gettext_lazy("Import a roster CSV into the selected course"))
    def import_roster(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one course to import a roster into."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:courses_course_roster", args=[queryset.get().pk]))

    def roster_import_view(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course = get_object_or_404(Course, pk=course_id)
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        form = RosterImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            outcome = roster_import(course=course, csv_text=form.cleaned_data["roster"],
                                    initial_password=form.cleaned_data["initial_password"] or None)
            if not outcome.errors:
                self.message_user(request, _("Enrolled %(enrolled)d students (%(created)d new accounts).")
                                  % {"enrolled": outcome.enrolled, "created": outcome.created}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:courses_course_change", args=[course.pk]))
            for error in outcome.errors:
                form.add_error("roster", error)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": course,
                   "course": course, "form": form, "title": _("Import a roster into %(course)s") % {"course": course}}
        return render(request, "admin/courses/course/roster_import.html", context,
                      status=400 if request.method == "POST" else 200)


def rescore_if_time_rules_changed(*, assignment: Assignment, changed_fields, by) -> None:
    """A date changed in the admin judges stored work again, on the record, as the portal's rules page does."""
    if set(changed_fields) & set(TIME_RULE_FIELDS):
        from courseportal.submissions.models import GradeChange
        from courseportal.submissions.services import assignment_lateness_apply

        assignment_lateness_apply(assignment=assignment, reason=GradeChange.Reason.LATE_PENALTY, changed_by=by,
                                  details={"rules_changed": True})


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentAdminForm

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.holds_scores = holds_scores_by_default(checker_slug=obj.checker_slug)
        super().save_model(request, obj, form, change)
        if change:
            rescore_if_time_rules_changed(assignment=obj, changed_fields=form.changed_data, by=request.user)

    list_display = ["title", "course", "slug", "checker_slug", "opens_at_local", "due_at_local", "weight_percent",
                    "is_published"]
    list_filter = ["course", "is_published"]
    list_select_related = ["course"]
    search_fields = ["title", "slug", "checker_slug"]

    @admin.display(description=gettext_lazy("Opens at"), ordering="opens_at")
    def opens_at_local(self, assignment: Assignment) -> str:
        return course_local_time(assignment.opens_at, assignment.course)

    @admin.display(description=gettext_lazy("Due at"), ordering="due_at")
    def due_at_local(self, assignment: Assignment) -> str:
        return course_local_time(assignment.due_at, assignment.course)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "role"]
    list_filter = ["course", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["course", "user"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        membership_set(course=obj.course, user=obj.user, role=obj.role)
