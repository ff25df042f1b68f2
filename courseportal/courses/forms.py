from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseportal.courses.deadlines import extension_problem, schedule_problems
from courseportal.courses.models import Assignment, Course, Membership
from grader.content import RejectedUpload, decode_text

ROSTER_MAX_BYTES = 2 * 1024 * 1024


class RosterImportForm(forms.Form):
    roster = forms.FileField(
        label=_("Roster CSV"),
        help_text=_("One student a row: account, name, email. A header row is optional. "
                    "UTF-8 or Big5 (Excel's CSV) are both read."),
    )
    initial_password = forms.CharField(
        label=_("Initial password"), required=False, strip=False, widget=forms.PasswordInput,
        help_text=_("For accounts the import creates; leave empty to create them without a usable password."),
    )

    def clean_roster(self) -> str:
        upload = self.cleaned_data["roster"]
        if upload.size > ROSTER_MAX_BYTES:
            raise forms.ValidationError(_("The roster is larger than 2 MB; is it the right file?"))
        try:
            text, _encoding = decode_text(upload.read(), kind=_("a CSV file"))
        except RejectedUpload as refusal:
            raise forms.ValidationError(refusal.message) from None
        return text


def course_zone(course: Course | None) -> zoneinfo.ZoneInfo:
    """The zone a course's dates are entered and shown in: its own, or the default while none is known.

    A zone the form has not validated yet (a Course being edited in the same request) falls back to the
    default rather than raising; that form is refused anyway, so nothing is saved in the fallback zone.
    """
    try:
        return zoneinfo.ZoneInfo(course.time_zone if course else settings.DEFAULT_COURSE_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.DEFAULT_COURSE_TIME_ZONE)


def wall_clock_in_zone(wall_clock: datetime, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The instant a naive wall-clock time names in ``zone``; None in a DST gap or overlap, where it names none or two."""
    earlier, later = wall_clock.replace(tzinfo=zone, fold=0), wall_clock.replace(tzinfo=zone, fold=1)
    return earlier if earlier.utcoffset() == later.utcoffset() else None


class CourseWallClockMixin:
    """Date fields entered and shown as wall-clock times in a course's zone (``WALL_CLOCK_FIELDS``).

    The site's current zone is UTC (stored times are UTC), so without this a form would read
    "2025-04-01 23:59" as 23:59 UTC, eight hours after midnight in Taipei.
    """

    WALL_CLOCK_FIELDS: tuple[str, ...] = ()

    def _wall_clock_fields(self) -> list[str]:
        return [name for name in self.WALL_CLOCK_FIELDS if name in self.fields]

    def show_in_zone(self, zone: zoneinfo.ZoneInfo, *, help_text: str = "") -> None:
        for name in self._wall_clock_fields():
            # For a new object this is the field's default (now), evaluated here to show it in the zone.
            value = self.get_initial_for_field(self.fields[name], name)
            if isinstance(value, datetime) and timezone.is_aware(value):
                # Naive, so the widget shows it as it is instead of converting it to UTC.
                self.initial[name] = timezone.make_naive(value, zone)
            if help_text:
                self.fields[name].help_text = help_text

    def read_in_zone(self, cleaned_data: dict, zone: zoneinfo.ZoneInfo) -> None:
        """Turn the wall-clock times the fields parsed (as UTC) into the instants they name in ``zone``."""
        for name in self._wall_clock_fields():
            parsed = cleaned_data.get(name)
            if parsed is None:
                continue
            wall_clock = timezone.make_naive(parsed)
            instant = wall_clock_in_zone(wall_clock, zone)
            if instant is None:
                self.add_error(name, _("%(time)s does not exist or happens twice in %(zone)s (a daylight saving "
                                       "change); choose another time.")
                               % {"time": f"{wall_clock:%Y-%m-%d %H:%M}", "zone": zone.key})
            else:
                cleaned_data[name] = instant


class AssignmentAdminForm(CourseWallClockMixin, forms.ModelForm):
    """Assignment dates as staff think of them: wall-clock times in the course's own zone.

    Dates are shown in the zone of the course the assignment belongs to, and what is entered is read
    in the zone of the course it is saved to (a new assignment's chosen course; the default zone
    until one is chosen).
    """

    WALL_CLOCK_FIELDS = ("opens_at", "due_at")

    class Meta:
        model = Assignment
        fields = ["course", "slug", "checker_slug", "title", "description", "opens_at", "due_at",
                  "max_upload_bytes", "weight_percent", "is_published"]

    def __init__(self, *args, course: Course | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Given by the course's inline formset: its forms get their course (field and instance) only after this.
        self.course = course
        shown_course = course or self._course_of_instance() or self._course_posted()
        shown_zone = course_zone(shown_course)
        self.show_in_zone(shown_zone, help_text=self._zone_help_text(shown_course, shown_zone))

    def clean(self) -> dict:
        cleaned_data = super().clean()
        course = cleaned_data.get("course") if "course" in self.fields else self.course
        course = course or self._course_of_instance()
        if course is None:
            return cleaned_data  # no course chosen: the course field already carries the error
        self.read_in_zone(cleaned_data, course_zone(course))
        return cleaned_data

    def _course_of_instance(self) -> Course | None:
        return self.instance.course if self.instance.course_id else None

    def _course_posted(self) -> Course | None:
        if not self.is_bound or "course" not in self.fields:
            return None
        try:
            return self.fields["course"].clean(self["course"].data)
        except forms.ValidationError:
            return None

    @staticmethod
    def _zone_help_text(course: Course | None, zone: zoneinfo.ZoneInfo) -> str:
        if course is None:
            return _("Time in the chosen course's time zone (%(zone)s unless the course sets another).") % {
                "zone": zone.key}
        return _("Time in %(zone)s, the course's time zone.") % {"zone": zone.key}


class CourseAssignmentFormSet(forms.BaseInlineFormSet):
    """The assignments inline of a course: each form reads its dates in that course's zone."""

    def get_form_kwargs(self, index: int | None) -> dict:
        return {**super().get_form_kwargs(index), "course": self.instance}


def local_datetime_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    """A date and time picked on the phone or desktop's own picker, to the second (deadlines are often 23:59:59)."""
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
    )


class AssignmentRulesForm(CourseWallClockMixin, forms.ModelForm):
    """What an instructor sets for one assignment in the portal: dates, weight, late policy, which
    submission counts, and whether scores are held until released. Dates in the course's zone."""

    WALL_CLOCK_FIELDS = ("opens_at", "due_at", "cutoff_at")

    opens_at = local_datetime_field(_("Opens"))
    due_at = local_datetime_field(_("Deadline"))
    cutoff_at = local_datetime_field(_("Cutoff for late uploads"), required=False,
                                     help_text=_("Optional: under a late policy, no uploads after this. "
                                                 "Leave empty to accept late uploads without end."))

    class Meta:
        model = Assignment
        fields = ["title", "description", "opens_at", "due_at", "grace_minutes", "late_policy",
                  "late_penalty_percent", "cutoff_at", "counted_submission", "weight_percent", "is_published",
                  "holds_scores", "follow_through_credit_percent"]
        labels = {
            "title": _("Title"), "description": _("Description"),
            "grace_minutes": _("Grace period (minutes)"), "late_policy": _("Late policy"),
            "late_penalty_percent": _("Penalty per started day or hour (percent of the maximum score)"),
            "counted_submission": _("Which submission counts"), "weight_percent": _("Weight (percent of the homework)"),
            "is_published": _("Published (students see it)"), "holds_scores": _("Hold scores until I release them"),
            "follow_through_credit_percent": _("Follow-through credit (percent of a question's points)"),
        }
        help_texts = {
            "grace_minutes": _("Uploads received this long after the deadline still count as on time."),
            "holds_scores": _("Students then see “graded, not yet released” and get no e-mail until you release."),
            "follow_through_credit_percent": _(
                "For an answer that is wrong only because it follows correctly from the student's own earlier "
                "wrong answer (a size computed right from a wrong size). 0 = strict: only right answers score; "
                "the feedback names the first mistake either way. Applies to files graded from now on."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        zone = self.instance.course.zone
        self.show_in_zone(zone, help_text="")
        for name in self.WALL_CLOCK_FIELDS:
            note = _("Time in %(zone)s, the course's time zone.") % {"zone": zone.key}
            self.fields[name].help_text = f"{self.fields[name].help_text} {note}".strip()
        self.fields["late_penalty_percent"].min_value = 0
        self.fields["late_penalty_percent"].validators.append(_percent_validator)
        # Left out of a form (an older page still open), the policy stays as it is.
        self.fields["follow_through_credit_percent"].required = False
        self.fields["follow_through_credit_percent"].validators.append(_percent_validator)

    def clean_follow_through_credit_percent(self) -> int:
        value = self.cleaned_data.get("follow_through_credit_percent")
        return self.instance.follow_through_credit_percent if value is None else value

    def clean(self) -> dict:
        cleaned_data = super().clean()
        self.read_in_zone(cleaned_data, self.instance.course.zone)
        problems = schedule_problems(opens_at=cleaned_data.get("opens_at"), due_at=cleaned_data.get("due_at"),
                                     cutoff_at=cleaned_data.get("cutoff_at"))
        if cleaned_data.get("cutoff_at") and cleaned_data.get("late_policy") == Assignment.LatePolicy.NONE:
            problems.setdefault("cutoff_at", _("A cutoff applies to late uploads only: choose a late policy, "
                                               "or leave the cutoff empty."))
        for name, message in problems.items():
            self.add_error(name, message)
        return cleaned_data


def _percent_validator(value) -> None:
    if value is not None and not 0 <= value <= 100:
        raise forms.ValidationError(_("Enter a share from 0 to 100."))


class ExtensionForm(CourseWallClockMixin, forms.Form):
    """An instructor gives one student a later deadline, with the reason the student will see."""

    WALL_CLOCK_FIELDS = ("due_at",)

    student = forms.ModelChoiceField(label=_("Student"), queryset=None, to_field_name="username")
    due_at = local_datetime_field(_("New deadline"))
    reason = forms.CharField(label=_("Reason (the student sees it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, assignment: Assignment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        students = get_user_model().objects.filter(
            memberships__course_id=assignment.course_id, memberships__role=Membership.Role.STUDENT
        ).order_by("username")
        self.fields["student"].queryset = students
        self.fields["student"].label_from_instance = lambda user: (
            f"{user.username} {user.get_full_name()}".strip())
        zone = assignment.course.zone
        self.fields["due_at"].help_text = _("Time in %(zone)s, the course's time zone.") % {"zone": zone.key}

    def clean(self) -> dict:
        cleaned_data = super().clean()
        self.read_in_zone(cleaned_data, self.assignment.course.zone)
        due_at = cleaned_data.get("due_at")
        if due_at and "due_at" not in self.errors:
            problem = extension_problem(assignment=self.assignment, due_at=due_at)
            if problem:
                self.add_error("due_at", problem)
        return cleaned_data
