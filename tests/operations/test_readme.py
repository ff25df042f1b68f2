"""The README's demo logins are the ones seed_demo creates."""

from __future__ import annotations

from pathlib import Path

from courseportal.operations.services import DEMO_ACCOUNTS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_demo_login_with_its_password():
    text = README.read_text()
    for account in DEMO_ACCOUNTS:
        assert f"| `{account.username}` | `{account.password}` |" in text, account.username
