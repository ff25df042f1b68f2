"""``manage.py benchmark --poison N``: the poisoned uploads are spread across the burst's window
and are the outside review's crafted lec2_hw1 file. (The run itself: the lead's full benchmark.)"""

from __future__ import annotations

from courseportal.operations.benchmark.load_generator import Plan, upload_moments
from courseportal.operations.benchmark.population import POISON_LAYER_LINES, poisoned_file_text
from courseportal.operations.benchmark.run import _interleaved


def test_poisoned_uploads_land_across_the_window_not_at_its_end():
    others = [f"student{number}" for number in range(30)]
    accounts = _interleaved(others, ["poisoner0", "poisoner1", "poisoner2"])
    moments = upload_moments(count=len(accounts), seconds=15.0, seed=2024)
    poisoned_at = [moment for account, moment in zip(accounts, moments, strict=True) if account.startswith("poisoner")]
    assert len(accounts) == 33 and sorted(accounts) == sorted(others + ["poisoner0", "poisoner1", "poisoner2"])
    assert poisoned_at[0] < 5.0 and 5.0 < poisoned_at[1] < 10.0 and poisoned_at[2] > 10.0


def test_only_the_poisoners_upload_the_poisoned_file():
    plan = Plan(base_url="http://x", course="c", assignment="lec2_hw1", scenario="burst", students=[],
                file_text="ok = 1\n", poisoners=["poisoner0"], poison_file_text=poisoned_file_text("ok = 1\n"))
    assert plan.file_of("student1") == b"ok = 1\n"
    poisoned = plan.file_of("poisoner0").decode()
    assert poisoned.startswith("ok = 1\n") and poisoned.count("(1) 1x1") == POISON_LAYER_LINES
    assert len(poisoned) < 2 * 1024 * 1024
