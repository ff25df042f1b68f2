"""The load generator's schedule and page reading, without a server."""

from __future__ import annotations

from courseportal.operations.benchmark.load_generator import _csrf_token, _shown_result, upload_moments


def test_burst_uploads_are_spread_over_the_whole_window():
    moments = upload_moments(count=300, seconds=60, seed=2024)
    assert len(moments) == 300 and moments == sorted(moments)
    assert 0 <= moments[0] < 2 and 58 < moments[-1] < 60
    assert len(set(moments)) == 300
    per_ten_seconds = [sum(1 for moment in moments if start <= moment < start + 10) for start in range(0, 60, 10)]
    assert min(per_ten_seconds) > 30, per_ten_seconds


def test_page_reading_finds_the_form_token_and_the_shown_result():
    form = b'<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123"></form>'
    assert _csrf_token(form) == "abc123"
    assert _csrf_token(b"<p>signed out</p>") is None
    graded = b'<section data-pending="false"><p class="score-line"><span class="score big">25 / 25</span></p>'
    assert _shown_result(graded) == "graded"
    assert _shown_result(b'<section data-pending="false"><p class="errors"><strong>Your file was not graded:') \
        == "rejected"
