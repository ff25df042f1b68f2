"""The IDX reader MNIST is published in, on small IDX files the tests write (raw and gzip)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from grader.datasets import DatasetError, mnist_from_folder, read_idx, training_data, write_idx


def small_mnist(folder, *, gzip_test: bool = True, train: int = 12, test: int = 5) -> dict[str, np.ndarray]:
    """Four MNIST-named IDX files of random digits in ``folder``; the test half gzip-compressed."""
    rng = np.random.default_rng(3)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, size=(train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, size=train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, size=(test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, size=test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(folder / (f"{name}.gz" if gzip_test and name.startswith("t10k") else name), array)
    return arrays


def test_a_written_idx_file_reads_back_the_same_array_raw_and_gzipped(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    floats = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    for name, array in (("images", images), ("images.gz", images), ("floats.gz", floats)):
        read = read_idx(write_idx(tmp_path / name, array))
        assert read.dtype == array.dtype and np.array_equal(read, array)
    with gzip.open(tmp_path / "images.gz") as handle:
        assert handle.read(4) == b"\x00\x00\x08\x03"


def test_the_header_is_mnists_big_endian_layout(tmp_path):
    path = write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == b"\x00\x00\x08\x01" + struct.pack(">I", 3) + bytes([7, 2, 1])


@pytest.mark.parametrize(("content", "complaint"), [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "not an IDX file"),
    (b"\x00\x00\x42\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x42"),
    (b"\x00\x00\x08\x01\x00\x00", "ends inside its header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", r"holds 1 bytes of data; its header \(3,\) says 3"),
    (b"\x00\x00\x08\x00", "declares 0 dimensions"),
])
def test_a_broken_idx_file_is_refused_naming_what_is_wrong(tmp_path, content, complaint):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=complaint):
        read_idx(path)


def test_a_file_that_is_not_gzip_but_named_so_is_refused(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(DatasetError, match="cannot be read"):
        read_idx(path)


def test_an_mnist_folder_of_raw_and_gzipped_files_is_one_data_set(tmp_path):
    arrays = small_mnist(tmp_path)
    data = mnist_from_folder(tmp_path)
    assert data.name == "mnist"
    assert np.array_equal(data.train_images, arrays["train-images-idx3-ubyte"])
    assert np.array_equal(data.test_labels, arrays["t10k-labels-idx1-ubyte"])
    assert training_data(str(tmp_path)).digest == data.digest


def test_an_mnist_folder_missing_a_file_says_which(tmp_path):
    small_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="no t10k-labels-idx1-ubyte"):
        mnist_from_folder(tmp_path)


def test_images_that_are_not_28_by_28_or_labels_that_do_not_match_are_refused(tmp_path):
    small_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((12, 20, 20), dtype=np.uint8))
    with pytest.raises(DatasetError, match="28×28"):
        mnist_from_folder(tmp_path)
    small_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.full(12, 11, dtype=np.uint8))
    with pytest.raises(DatasetError, match="digits 0 to 9"):
        mnist_from_folder(tmp_path)


def test_a_configured_data_folder_missing_files_is_reported_at_start(tmp_path, settings):
    from grader.checks import training_data_folder_is_complete

    settings.TRAINING_DATA_DIR = str(tmp_path)
    small_mnist(tmp_path)
    assert training_data_folder_is_complete(None) == []
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    (warning,) = training_data_folder_is_complete(None)
    assert warning.id == "grader.W003" and "train-labels-idx1-ubyte" in warning.msg
