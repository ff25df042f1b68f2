"""The prepared GPU measurement runs through the engine alone, here in its CPU dry-run mode, with
Django taken from the bundle it carries to a machine that has none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "gpu_check.py"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_bundle_is_small_and_the_dry_run_grades_through_it(tmp_path):
    bundle = tmp_path / "bundle"
    made = subprocess.run([sys.executable, str(SCRIPT), "--bundle", str(bundle)], capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    size = sum(path.stat().st_size for path in bundle.rglob("*") if path.is_file())
    assert size < 20 * 1024**2 and not (bundle / "django" / "conf" / "locale" / "zh_Hant" / "LC_MESSAGES").exists()

    output = tmp_path / "gpu_check.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no DJANGO_SETTINGS_MODULE, no project settings
    finished = subprocess.run(
        [sys.executable, str(SCRIPT), "--bundle-dir", str(bundle), "--device", "cpu", "--images", "300",
         "--test-images", "100", "--epochs", "1", "--budget", "60", "--jobs-per-gpu", "2",
         "--output", str(output)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=540)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    figures = json.loads(output.read_text())
    assert figures["environment"]["django_from"] == str(bundle / "django")
    single = figures["single"]
    assert single["status"] == "graded" and single["epochs"] == 1 and single["student_training_s"] > 0
    assert single["overhead_s"] == pytest.approx(single["time_to_result_s"] - single["student_training_s"], abs=0.02)
    # One shared run (two jobs at once) proves the sharing path; 1 job per GPU is the single run's path.
    assert [run["jobs_per_gpu"] for run in figures["throughput"]] == [2]
    assert all(run["graded"] == run["jobs"] for run in figures["throughput"])
