from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from courseportal.courses.forms import CourseWallClockMixin, local_datetime_field
from courseportal.courses.models import Assignment, Membership
from courseportal.reports.models import GradingSetup, RubricItem
from courseportal.reports.selectors import ProblemView
from courseportal.reports.services import ProblemInput
from courseportal.submissions.feedback import engine_text
from grader.checker import RUBRIC_COMMENT_MAX_CHARACTERS, ManualProblem

COMMENT_MAX_CHARACTERS = 5000


class ReportGradeForm(forms.Form):
    """A grader's grade of the problems they may change on the grading page: per problem, the rubric
    items applied, a point adjustment and a comment to the student."""

    def __init__(self, *args, problems: Sequence[ProblemView], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.problems = [view for view in problems if view.editable]
        for view in self.problems:
            name = view.problem.name
            if view.grade is not None:
                self.initial.update({f"items_{name}": [entry.item.pk for entry in view.items if entry.applied],
                                     f"adjustment_{name}": view.grade.adjustment or None,
                                     f"comment_{name}": view.grade.comment})
            self.fields[f"items_{name}"] = forms.TypedMultipleChoiceField(
                required=False, coerce=int, choices=[(entry.item.pk, entry.item.comment) for entry in view.items],
                error_messages={"invalid_choice": _("The rubric changed while you were grading; reload the page.")})
            self.fields[f"adjustment_{name}"] = forms.DecimalField(
                label=_("Point adjustment"), required=False, max_digits=6, decimal_places=2,
                min_value=-view.full, max_value=view.full)
            self.fields[f"comment_{name}"] = forms.CharField(
                label=_("Comment to the student"), required=False, max_length=COMMENT_MAX_CHARACTERS,
                widget=forms.Textarea(attrs={"rows": 2}))
            for request in view.open_requests:
                self.fields[f"answer_{request.pk}"] = forms.CharField(
                    label=_("Answer to the student's regrade request"), required=False,
                    max_length=COMMENT_MAX_CHARACTERS, widget=forms.Textarea(attrs={"rows": 2}))

    def grades(self) -> dict[str, ProblemInput]:
        """What was entered for each problem that was graded before or is given anything now (a problem
        left untouched is not saved: it is graded when the grader gets to it)."""
        grades = {}
        for view in self.problems:
            given = ProblemInput(item_ids=frozenset(self.cleaned_data[f"items_{view.problem.name}"]),
                                 adjustment=self.cleaned_data[f"adjustment_{view.problem.name}"] or Decimal(0),
                                 comment=self.cleaned_data[f"comment_{view.problem.name}"])
            if view.grade is not None or given.item_ids or given.adjustment or given.comment.strip():
                grades[view.problem.name] = given
        return grades

    def answers(self) -> dict[int, str]:
        """The regrade requests answered (request id -> answer)."""
        return {request.pk: self.cleaned_data[f"answer_{request.pk}"] for view in self.problems
                for request in view.open_requests if self.cleaned_data[f"answer_{request.pk}"].strip()}

    def checked(self, view: ProblemView) -> set[int]:
        """The rubric items shown applied: as entered (a form sent back with an error), else as stored."""
        name = f"items_{view.problem.name}"
        if self.is_bound:
            return {int(value) for value in self.data.getlist(name) if str(value).isdigit()}
        return set(self.initial.get(name, []))

    def problem_fields(self, view: ProblemView) -> dict:
        name = view.problem.name
        return {"adjustment": self[f"adjustment_{name}"], "comment": self[f"comment_{name}"],
                "items": [(entry, entry.item.pk in self.checked(view)) for entry in view.items],
                "answers": [(request, self[f"answer_{request.pk}"]) for request in view.open_requests]}


class RubricItemForm(forms.ModelForm):
    """One rubric item: its problem (when new), its points (negative: points off) and its comment."""

    class Meta:
        model = RubricItem
        fields = ["problem", "points", "comment"]
        labels = {"problem": _("Problem"), "points": _("Points (negative: taken off)"),
                  "comment": _("Comment the student sees")}

    def __init__(self, *args, problems: Sequence[ManualProblem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"] = forms.ChoiceField(label=_("Problem"), choices=[(p.name, engine_text(p.title)) for p in problems])
        self.fields["comment"].max_length = RUBRIC_COMMENT_MAX_CHARACTERS
        if self.instance.pk:
            del self.fields["problem"]


class GradingSetupForm(CourseWallClockMixin, forms.ModelForm):
    """An instructor's choices: anonymous grading, until when students may ask for a regrade, and
    the share of shared text from which two reports are listed as similar."""

    WALL_CLOCK_FIELDS = ("regrade_requests_until",)
    regrade_requests_until = local_datetime_field(
        _("Regrade requests accepted until"), required=False,
        help_text=_("After the release, students may ask for a problem to be looked at again until then. "
                    "Leave empty to accept none."))

    class Meta:
        model = GradingSetup
        fields = ["anonymous", "regrade_requests_until", "similarity_threshold"]
        labels = {"anonymous": _("Anonymous grading (graders see a report number, not the student's name)"),
                  "similarity_threshold": _("Similarity threshold (0 to 1)")}
        help_texts = {"similarity_threshold": _("Pairs of reports sharing at least this share of the shorter "
                                                "one's own text are listed side by side.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        zone = self.instance.assignment.course.zone
        self.show_in_zone(zone)
        self.fields["regrade_requests_until"].help_text += " " + str(
            _("Time in %(zone)s, the course's time zone.") % {"zone": zone.key})
        self.fields["similarity_threshold"].min_value = Decimal("0.05")
        self.fields["similarity_threshold"].max_value = Decimal(1)
        self.fields["similarity_threshold"].validators += [_between(Decimal("0.05"), Decimal(1))]

    def clean(self) -> dict:
        cleaned_data = super().clean()
        self.read_in_zone(cleaned_data, self.instance.assignment.course.zone)
        return cleaned_data


def _between(low: Decimal, high: Decimal):
    def validate(value) -> None:
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(_("Enter a share from %(low)s to %(high)s.") % {"low": low, "high": high})
    return validate


class GradingSplitForm(forms.Form):
    """How the reports are shared: first come, first served; evenly between chosen graders; or each
    problem to one grader."""

    split = forms.ChoiceField(label=_("Share the reports"), choices=GradingSetup.Split.choices,
                              widget=forms.RadioSelect)
    graders = forms.ModelMultipleChoiceField(label=_("Graders (shared evenly)"), queryset=None, required=False,
                                             to_field_name="username", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, assignment: Assignment, problems: Sequence[ManualProblem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(
            memberships__course_id=assignment.course_id,
            memberships__role__in=[Membership.Role.TA, Membership.Role.INSTRUCTOR]).order_by("username")
        self.fields["graders"].queryset = staff
        self.problems = tuple(problems)
        for problem in self.problems:
            self.fields[f"grader_{problem.name}"] = forms.ModelChoiceField(
                label=engine_text(problem.title), queryset=staff, required=False, to_field_name="username",
                empty_label=_("anyone"))

    def problem_fields(self) -> list[forms.BoundField]:
        return [self[f"grader_{problem.name}"] for problem in self.problems]

    def problem_graders(self) -> dict:
        return {problem.name: self.cleaned_data[f"grader_{problem.name}"] for problem in self.problems
                if self.cleaned_data.get(f"grader_{problem.name}") is not None}


class RegradeRequestForm(forms.Form):
    problem = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("What should be looked at again, and why?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
