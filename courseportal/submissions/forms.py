from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from courseportal.points import SCORE_DECIMAL_PLACES, SCORE_MAX_DIGITS, points_text
from grader.checker import ManualProblem


class UploadForm(forms.Form):
    # Empty files pass the form: the upload service refuses them with a message that says what to do.
    file = forms.FileField(
        label=_("Your file"),
        allow_empty_file=True,
        error_messages={"required": _("Choose a file to upload."), "missing": _("Choose a file to upload.")},
    )
    # The late penalty the page showed when the student chose to upload: a higher one at receipt
    # (the page was loaded before the deadline) is refused and shown, not silently applied.
    accepted_penalty = forms.DecimalField(required=False, min_value=0, max_value=100, widget=forms.HiddenInput)

    def accepted_penalty_percent(self) -> Decimal:
        return self.cleaned_data.get("accepted_penalty") or Decimal(0)


class ManualGradeForm(forms.Form):
    """A TA's grade of a hand-graded report: points and feedback per problem, and an overall comment."""

    comment = forms.CharField(label=_("Comment to the student"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, problems: Sequence[ManualProblem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.problems = tuple(problems)
        for problem in self.problems:
            self.fields[self.points_key(problem)] = forms.DecimalField(
                label=_("%(problem)s (points, at most %(max)s)") % {"problem": problem.title, "max": points_text(problem.points)},
                min_value=0, max_value=Decimal(str(problem.points)), max_digits=SCORE_MAX_DIGITS,
                decimal_places=SCORE_DECIMAL_PLACES,
                error_messages={"required": _("Enter the points for this problem.")},
            )
            self.fields[self.feedback_key(problem)] = forms.CharField(
                label=_("Feedback on %(problem)s") % {"problem": problem.title}, required=False, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @staticmethod
    def points_key(problem: ManualProblem) -> str:
        return f"points_{problem.name}"

    @staticmethod
    def feedback_key(problem: ManualProblem) -> str:
        return f"feedback_{problem.name}"

    @classmethod
    def initial_from(cls, *, checks: list[dict], comment: str) -> dict[str, object]:
        """The form's initial values from a stored hand grade, so a TA corrects rather than retypes."""
        initial: dict[str, object] = {"comment": comment}
        for check in checks:
            initial[f"points_{check['name']}"] = points_text(check["points"])
            initial[f"feedback_{check['name']}"] = check["feedback"]
        return initial

    def problem_fields(self) -> list[tuple[ManualProblem, forms.BoundField, forms.BoundField]]:
        return [(problem, self[self.points_key(problem)], self[self.feedback_key(problem)]) for problem in self.problems]

    def points(self) -> dict[str, Decimal]:
        return {problem.name: self.cleaned_data[self.points_key(problem)] for problem in self.problems}

    def feedback(self) -> dict[str, str]:
        return {problem.name: self.cleaned_data[self.feedback_key(problem)] for problem in self.problems}


class OverrideForm(forms.Form):
    """Staff set the score that counts for one submission, or remove their override, with a reason."""

    score = forms.DecimalField(label=_("Score that counts"), required=False, min_value=0,
                               max_digits=SCORE_MAX_DIGITS, decimal_places=SCORE_DECIMAL_PLACES)
    reason = forms.CharField(label=_("Reason (the student sees it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        if not cleaned_data.get("remove") and cleaned_data.get("score") is None and "score" not in self.errors:
            self.add_error("score", _("Enter the score that should count."))
        return cleaned_data
