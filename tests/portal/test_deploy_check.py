"""Production settings come from the environment and pass Django's deployment checklist."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECRET_KEY"))}
    env.update(DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="example.edu",
               COURSEPORTAL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="courseportal.settings")
    env.update(overrides)
    return env


def test_production_settings_pass_the_deploy_checklist_without_warnings(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_with_a_short_secret_key(tmp_path):
    result = run_manage("check", "--deploy", env=production_env(tmp_path, SECRET_KEY="short"))
    assert result.returncode != 0
    assert "SECRET_KEY must be a long random value" in result.stderr
