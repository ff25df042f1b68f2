"""``manage.py makemessages`` that also finds the engine's messages: ``Message("...")`` in ``grader/``
and ``assignments/`` is a msgid, as ``gettext("...")`` is (grader/messages.py)."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=Message"]
