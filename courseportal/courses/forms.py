from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseportal.courses.models import Assignment, Course
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
            text, _encoding = decode_text(upload.read(), kind="a CSV file")
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


class AssignmentAdminForm(forms.ModelForm):
    """Assignment dates as staff think of them: wall-clock times in the course's own zone.

    The site's current zone is UTC (stored times are UTC), so without this the admin would read
    "2025-04-01 23:59" as 23:59 UTC, eight hours after midnight in Taipei. Dates are shown in the
    zone of the course the assignment belongs to, and what is entered is read in the zone of the
    course it is saved to (a new assignment's chosen course; the default zone until one is chosen).
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
        for name in self._wall_clock_fields():
            # For a new assignment this is the field's default (now), evaluated here to show it in the zone.
            value = self.get_initial_for_field(self.fields[name], name)
            if isinstance(value, datetime) and timezone.is_aware(value):
                # Naive, so the widget shows it as it is instead of converting it to UTC.
                self.initial[name] = timezone.make_naive(value, shown_zone)
            self.fields[name].help_text = self._zone_help_text(shown_course, shown_zone)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        course = cleaned_data.get("course") if "course" in self.fields else self.course
        course = course or self._course_of_instance()
        if course is None:
            return cleaned_data  # no course chosen: the course field already carries the error
        zone = course_zone(course)
        for name in self._wall_clock_fields():
            parsed = cleaned_data.get(name)
            if parsed is None:
                continue
            # The field parsed the input as a wall-clock time in the current zone (UTC); read it in the course's.
            wall_clock = timezone.make_naive(parsed)
            instant = wall_clock_in_zone(wall_clock, zone)
            if instant is None:
                self.add_error(name, _("%(time)s does not exist or happens twice in %(zone)s (a daylight saving "
                                       "change); choose another time.")
                               % {"time": f"{wall_clock:%Y-%m-%d %H:%M}", "zone": zone.key})
            else:
                cleaned_data[name] = instant
        return cleaned_data

    def _wall_clock_fields(self) -> list[str]:
        return [name for name in self.WALL_CLOCK_FIELDS if name in self.fields]

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
