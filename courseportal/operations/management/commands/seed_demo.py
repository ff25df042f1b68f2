"""``manage.py seed_demo``: the demo course, its assignments and accounts, with their logins printed."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courseportal.operations.services import demo_seed


class Command(BaseCommand):
    help = "Create (idempotently) the demo course, its assignments and demo accounts, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--reset-dates", action="store_true",
                            help="move every demo assignment's due date to two weeks from today")

    def handle(self, *args, reset_dates: bool = False, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with published passwords; it does not run "
                               "with DJANGO_ENV=production.")
        seed = demo_seed(reset_dates=reset_dates)
        zone = seed.course.zone
        self.stdout.write(f"Course: {seed.course.title} ({seed.course.slug}, time zone {seed.course.time_zone})")
        for assignment in seed.assignments:
            due = f"{assignment.due_at.astimezone(zone):%Y-%m-%d %H:%M} {seed.course.time_zone}"
            self.stdout.write(f"  assignment {assignment.slug}: {assignment.title}, due {due}")
        if not seed.assignments:
            self.stdout.write(self.style.WARNING("  no checkers are registered under assignments/ yet"))
        self.stdout.write("Demo logins (username / password):")
        for account in seed.accounts:
            self.stdout.write(f"  {account.role:<10} {account.username:<10} / {account.password}")
