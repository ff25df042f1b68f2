"""English and Traditional Chinese, chosen per user and remembered in their profile."""

from __future__ import annotations

import ast
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from courseportal.accounts.services import profile_language_set
from courseportal.operations.management.commands.makemessages import Command as MakeMessages
from tests.conftest import make_assignment
from tests.portal.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]

CATALOGUE = settings.LOCALE_PATHS[0] / "zh_Hant" / "LC_MESSAGES" / "django.po"
ROOT = Path(settings.BASE_DIR)
# Where translatable strings are written (tests, migrations and the virtualenv aside).
SOURCE_FOLDERS = ("courseportal", "grader", "assignments")
# What marks a string for translation in Python, as Django's makemessages tells xgettext (which knows
# gettext, ngettext and _ already); the project's makemessages adds the engine's Message.
KEYWORDS = ("gettext_noop", "gettext_lazy", "ngettext_lazy:1,2", "pgettext:1c,2", "pgettext_lazy:1c,2",
            "npgettext:1c,2,3", "npgettext_lazy:1c,2,3")


def test_switching_to_chinese_is_remembered_in_the_profile(student):
    client = signed_in(student)
    assert "My courses" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("accounts:language"), {"language": "zh-hant", "next": reverse("home")})
    assert response.status_code == 302 and response.url == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert "我的課程" in page and 'lang="zh-hant"' in page
    student.profile.refresh_from_db()
    assert student.profile.language == "zh-hant"


def test_the_profiles_language_follows_the_user_to_another_browser(student):
    profile_language_set(user=student, language="zh-hant")
    fresh_browser = signed_in(student)
    assert "我的課程" in fresh_browser.get(reverse("home")).content.decode()


def test_switching_back_to_english(student):
    client = signed_in(student)
    client.post(reverse("accounts:language"), {"language": "zh-hant"})
    client.post(reverse("accounts:language"), {"language": "en"})
    page = client.get(reverse("home")).content.decode()
    assert "My courses" in page and "我的課程" not in page


def test_visitor_can_switch_the_sign_in_page_to_chinese():
    client = Client()
    client.post(reverse("accounts:language"), {"language": "zh-hant", "next": reverse("login")})
    assert "登入" in client.get(reverse("login")).content.decode()


def test_switch_ignores_unknown_languages_and_foreign_redirects(student):
    client = signed_in(student)
    response = client.post(reverse("accounts:language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.url == reverse("home")
    assert not hasattr(student, "profile") or student.profile.language == ""
    response = client.post(reverse("accounts:language"), {"language": "en", "next": "https://evil.example/"})
    assert response.url == reverse("home")


def test_upload_refusal_is_in_chinese_for_a_chinese_user(student, assignment):
    profile_language_set(user=student, language="zh-hant")
    client = signed_in(student)
    response = client.post(reverse("submissions:upload", args=["ai-training-2", "hw1"]),
                           {"file": SimpleUploadedFile("hw1.py", b"answer = 42\n")})
    page = response.content.decode()
    assert response.status_code == 400
    assert "檔名必須是 310510123_hw1.py" in page and "系統沒有儲存任何資料" in page


def test_deadline_is_written_the_chinese_way_in_the_courses_zone(student, course):
    make_assignment(course, "portal_echo", slug="hw1", due_at=datetime(2099, 1, 1, 15, 30, tzinfo=UTC))
    profile_language_set(user=student, language="zh-hant")
    page = signed_in(student).get(reverse("home")).content.decode()
    assert "2099年1月1日 23:30" in page and "截止時間（Asia/Taipei）" in page


def test_every_message_of_the_catalogue_is_translated():
    statistics = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
                                capture_output=True, text=True, check=True).stderr
    assert "translated messages" in statistics
    assert "untranslated" not in statistics and "fuzzy" not in statistics


def test_every_string_the_source_marks_for_translation_has_a_chinese_translation(tmp_path):
    """Not only the catalogue's own entries: a string written in a template or the code that the
    catalogue lacks altogether fails here (what makemessages would find, in about a second)."""
    sources = [path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*.py")
               if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)]
    for number, template in enumerate(sorted((ROOT / "courseportal").glob("**/templates/**/*.*"))):
        if template.suffix in (".html", ".txt"):
            # As makemessages reads a template: as Python that calls gettext for each string.
            sources.append(tmp_path / f"template_{number}.py")
            sources[-1].write_text(templatize(template.read_text(encoding="utf-8"), origin=str(template)),
                                   encoding="utf-8")
    found, merged = tmp_path / "found.pot", tmp_path / "merged.po"
    subprocess.run(["xgettext", "--language=Python", *MakeMessages.xgettext_options, "--no-location", "--output", found,
                    *(f"--keyword={keyword}" for keyword in KEYWORDS), *sources], check=True, capture_output=True)
    found.write_text(found.read_text(encoding="utf-8").replace("charset=CHARSET", "charset=UTF-8"), encoding="utf-8")
    subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "--output-file", merged, CATALOGUE, found],
                   check=True)
    untranslated = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", merged],
                                  capture_output=True, text=True, check=True).stdout
    assert len(found.read_text(encoding="utf-8").split("\nmsgid ")) > 600  # it found the strings
    assert [msgid for msgid in _msgids(untranslated) if msgid] == []  # (the header's msgid is "")


def _msgids(catalogue: str) -> list[str]:
    """The msgid of every entry of a .po file's text (a msgid may go on over the lines below it)."""
    msgids = []
    for entry in catalogue.split("\n\n"):
        parts: list[str] = []
        for line in entry.splitlines():
            if line.startswith("msgid "):
                parts = [line.removeprefix("msgid ")]
            elif parts and line.startswith('"'):
                parts.append(line)
            elif parts:
                break
        if parts:
            msgids.append("".join(ast.literal_eval(part) for part in parts))
    return msgids


def test_content_refusal_is_in_chinese_for_a_chinese_user(student, assignment):
    profile_language_set(user=student, language="zh-hant")
    client = signed_in(student)
    response = client.post(reverse("submissions:upload", args=["ai-training-2", "hw1"]),
                           {"file": SimpleUploadedFile("310510123_hw1.py", b"")})
    assert response.status_code == 400
    assert "檔案是空的" in response.content.decode()
