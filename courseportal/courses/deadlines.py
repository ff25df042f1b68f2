"""Time rules: when an assignment takes uploads, from whom, and how much time is left.

The one place that compares an assignment's dates with the clock. The upload service asks it
whether to accept a file (and why not), the pages ask it what to show (phase, time left), the
gradebook asks it about lateness. Everything else reads ``UploadWindow``; nothing else compares
``due_at`` or ``opens_at`` with the time.

Times are stored in UTC and shown in the course's time zone; the server's clock at the moment a
request is handled is authoritative.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from courseportal.courses.models import Assignment


class Phase(StrEnum):
    """Where an assignment stands for one student's uploads."""

    UPCOMING = "upcoming"  # not published yet, or before it opens
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class UploadWindow:
    """One assignment's time rules as they stand for one student at one moment."""

    phase: Phase
    published: bool
    opens_at: datetime
    due_at: datetime
    at: datetime
    zone: zoneinfo.ZoneInfo

    @property
    def may_upload(self) -> bool:
        return self.phase is Phase.OPEN

    @property
    def time_left(self) -> timedelta | None:
        """Until the deadline, while uploads are open; None otherwise."""
        return self.due_at - self.at if self.phase is Phase.OPEN else None

    @property
    def time_left_text(self) -> str:
        """"2 days, 3 hours", in the active language; empty unless uploads are open."""
        return timeuntil(self.due_at, self.at) if self.phase is Phase.OPEN else ""

    @property
    def opens_in_text(self) -> str:
        """How long until a published assignment opens; empty otherwise."""
        return timeuntil(self.opens_at, self.at) if self.phase is Phase.UPCOMING and self.published else ""

    @property
    def refusal(self) -> str:
        """Why an upload now is refused, for the student; empty when it is not."""
        if self.phase is Phase.UPCOMING:
            return _("This assignment opens for uploads at %(when)s.") % {"when": self._local(self.opens_at)}
        if self.phase is Phase.CLOSED:
            return _("This assignment closed at %(when)s; uploads are no longer accepted.") % {
                "when": self._local(self.due_at)}
        return ""

    def _local(self, moment: datetime) -> str:
        return date_format(moment.astimezone(self.zone), "DATETIME_FORMAT")


def upload_window(*, assignment: Assignment, student: User | None = None, at: datetime | None = None) -> UploadWindow:
    """The time rules of ``assignment`` for ``student`` (None: the class as a whole) at ``at`` (now).

    Reads ``assignment.course`` for its time zone: select it with the assignment when asking for many.
    """
    at = at or timezone.now()
    if not assignment.is_published or at < assignment.opens_at:
        phase = Phase.UPCOMING
    elif at <= assignment.due_at:
        phase = Phase.OPEN
    else:
        phase = Phase.CLOSED
    return UploadWindow(phase=phase, published=assignment.is_published, opens_at=assignment.opens_at,
                        due_at=assignment.due_at, at=at, zone=assignment.course.zone)
