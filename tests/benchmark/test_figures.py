"""The benchmark's statistics and report: percentiles are observed values, NaN never reaches JSON."""

from __future__ import annotations

import json
import math

from courseportal.operations.benchmark.figures import percentile, report_json, report_text, rounded


def test_percentile_is_the_nearest_rank_observation():
    values = [float(value) for value in range(1, 21)]  # 1..20
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile(values, 100) == 20.0
    assert percentile([3.0], 95) == 3.0


def test_percentile_of_nothing_is_reported_as_missing():
    assert math.isnan(percentile([], 95))
    assert rounded(percentile([], 95)) is None
    assert json.loads(report_json({"burst_time_to_result_p95_s": rounded(float("nan"))})) == {
        "burst_time_to_result_p95_s": None
    }


def test_report_lists_known_figures_in_order_with_their_meaning():
    text = report_text({"extra_figure": 1, "burst_lost": 0, "cores": 2})
    lines = text.splitlines()
    assert [line.split()[0] for line in lines] == ["cores", "burst_lost", "extra_figure"]
    assert "must be 0" in lines[1]
