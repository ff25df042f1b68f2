"""System checks of the submissions app: uploaded files can be stored."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.compatibility)
def media_dir_is_writable(app_configs, **kwargs):
    media = settings.MEDIA_ROOT
    try:
        media.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return [Error(f"MEDIA_ROOT {media} cannot be created: {error}", id="submissions.E001")]
    if not os.access(media, os.W_OK):
        return [Error(f"MEDIA_ROOT {media} is not writable by this process.", id="submissions.E001")]
    return []
