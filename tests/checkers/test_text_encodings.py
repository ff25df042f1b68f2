"""Text files are read in every encoding students' editors in Taiwan save, and bytes that are no
text are still refused with a reason."""

from __future__ import annotations

import pytest

from grader.content import RejectedUpload, decode_text

TRADITIONAL = "# conv1 的輸入是 1x3x32x32，輸出是 1x32x32x32\n# 總參數量：134186\n"


@pytest.mark.parametrize("text, encoding, expected", [
    (TRADITIONAL, "utf-8", "utf-8"),
    (TRADITIONAL, "utf-8-sig", "utf-8-sig"),
    (TRADITIONAL, "cp950", "cp950"),  # Windows "ANSI" in Taiwan
    ("# conv1 嘅輸入係 1x3x32x32，輸出係 1x32x32x32 啲\n", "big5hkscs", "big5hkscs"),  # Hong Kong
    ("# conv1 的输入是 1x3x32x32，输出是 1x32x32x32\n# 总参数量：134186\n", "gb18030", "gb18030"),  # GBK
    ("# conv1 takes a 1×3×32×32 tensor and outputs 1×32×32×32 “NCHW”\n", "cp1252", "cp1252"),  # Western Windows
    (TRADITIONAL, "utf-16", "utf-16"),  # Notepad's "Unicode", PowerShell's ">"
    ("# conv1: input (1, 3, 32, 32)\n", "utf-16-le", "utf-16-le"),
    ("# conv1: input (1, 3, 32, 32)\n", "utf-16-be", "utf-16-be"),
])
def test_each_encoding_students_save_in_is_read_exactly(text, encoding, expected):
    assert decode_text(text.encode(encoding), kind="a .py file") == (text, expected)


def test_a_utf8_file_with_a_line_pasted_from_an_ansi_editor_keeps_both():
    data = "# conv1 輸出 (1, 32, 32, 32)\n".encode() + "# 註解：輸入\n".encode("cp950")
    assert decode_text(data, kind="a .py file") == ("# conv1 輸出 (1, 32, 32, 32)\n# 註解：輸入\n", "utf-8 and cp950")


def test_crlf_and_cr_line_endings_become_newlines():
    assert decode_text(b"a\r\nb\rc\n", kind="a .py file")[0] == "a\nb\nc\n"


@pytest.mark.parametrize("data", [b"\xff" * 100, bytes(range(1, 256)) * 4, b"\x00\x01\x02\x03" * 50])
def test_bytes_that_are_no_text_are_refused_with_a_reason(data):
    with pytest.raises(RejectedUpload) as refusal:
        decode_text(data, kind="a .py file")
    assert "a .py file" in refusal.value.message
