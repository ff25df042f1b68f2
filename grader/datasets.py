"""Handwritten digits for training homework: MNIST from IDX files, or scikit-learn's bundled digits.

Trusted code (the worker, the GPU check script); nothing here is ever downloaded at run time.

- ``read_idx`` / ``write_idx``: the IDX format MNIST is published in (raw or gzip), validated;
- ``mnist_from_folder``: the four standard MNIST files from an instructor's folder;
- ``bundled_digits``: scikit-learn's 1,797 8×8 digits, drawn at MNIST's 28×28 (a 20×20 digit
  centred on a 28×28 canvas, as MNIST's are) and split once, with a fixed seed, into train and test;
- ``augmented``: more images from few (random shifts and noise), for an MNIST-sized data set.

Every set has the same shape: ``uint8`` images ``(N, 28, 28)`` (0 is background, 255 ink) and
``uint8`` labels ``(N,)`` in 0..9.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

IMAGE_SIZE = 28
CLASSES = 10
# The IDX type codes (the third byte of the magic number) and the numpy types they stand for.
IDX_TYPES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
# A generous ceiling: the full MNIST training images are 47 MB.
MAX_IDX_BYTES = 512 * 1024**2
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
BUNDLED_TEST_SHARE = 0.2
BUNDLED_SPLIT_SEED = 20240917
DIGIT_BOX = 20  # MNIST centres each digit in a 20×20 box of the 28×28 image


class DatasetError(ValueError):
    """A data set file is missing or not what it claims to be; the message names the file."""


@dataclass(frozen=True)
class DigitImages:
    """One data set: ``uint8`` images ``(N, 28, 28)`` and labels ``(N,)``, train and test."""

    name: str  # "mnist" or "digits": which thresholds apply
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def __post_init__(self) -> None:
        for images, labels, part in ((self.train_images, self.train_labels, "train"),
                                     (self.test_images, self.test_labels, "test")):
            _require_digits(images, labels, part)

    @property
    def digest(self) -> str:
        """A short fingerprint of the whole set (it names cached copies and appears in reports)."""
        hasher = hashlib.sha256(self.name.encode())
        for array in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            hasher.update(str(array.shape).encode() + np.ascontiguousarray(array).tobytes())
        return hasher.hexdigest()[:12]


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (gzip-compressed when the name ends in ``.gz``).

    Raises ``DatasetError`` if the file cannot be read, is not IDX, or its size does not match its
    header.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read(MAX_IDX_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DatasetError(f"{path} cannot be read: {error}") from None
    if len(data) > MAX_IDX_BYTES:
        raise DatasetError(f"{path} is larger than {MAX_IDX_BYTES} bytes")
    return _parse_idx(data, path)


def _parse_idx(data: bytes, path: Path) -> np.ndarray:
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetError(f"{path} is not an IDX file (its first two bytes must be zero)")
    type_code, dimensions = data[2], data[3]
    if type_code not in IDX_TYPES:
        raise DatasetError(f"{path} has an unknown IDX type code 0x{type_code:02x}")
    if not 1 <= dimensions <= 4:
        raise DatasetError(f"{path} declares {dimensions} dimensions; IDX files here have 1 to 4")
    header_bytes = 4 + 4 * dimensions
    if len(data) < header_bytes:
        raise DatasetError(f"{path} ends inside its header")
    shape = struct.unpack(f">{dimensions}I", data[4:header_bytes])
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header_bytes != expected:
        raise DatasetError(f"{path} holds {len(data) - header_bytes} bytes of data; its header {shape} "
                           f"says {expected}")
    array = np.frombuffer(data, dtype=dtype, offset=header_bytes).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip when the name ends in ``.gz``); returns the path."""
    path = Path(path)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    native = np.asarray(array)
    code = codes.get(native.dtype.newbyteorder("="))
    if code is None or not 1 <= native.ndim <= 4:
        raise ValueError(f"IDX cannot hold a {native.dtype} array of {native.ndim} dimensions")
    body = struct.pack(f">BBBB{native.ndim}I", 0, 0, code, native.ndim, *native.shape)
    body += native.astype(IDX_TYPES[code]).tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(body)
    return path


def mnist_from_folder(folder: str | os.PathLike) -> DigitImages:
    """MNIST's four files from ``folder``, each raw or ``.gz`` (``train-images-idx3-ubyte`` ...).

    Raises ``DatasetError`` naming the missing or malformed file.
    """
    folder = Path(folder)
    arrays = {}
    for part, stem in MNIST_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            raise DatasetError(f"{folder} has no {stem} (or {stem}.gz): the training data folder needs "
                               f"all of {', '.join(MNIST_FILES.values())}")
        arrays[part] = read_idx(found)
    return DigitImages(name="mnist", **arrays)


@cache
def bundled_digits() -> DigitImages:
    """scikit-learn's bundled 8×8 digits at 28×28, split 80/20 the same way on every machine."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    ink = (digits.images.astype(np.float64) / 16.0 * 255.0).clip(0, 255)
    boxed = resize(ink, DIGIT_BOX)
    margin = (IMAGE_SIZE - DIGIT_BOX) // 2
    images = np.zeros((len(boxed), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    images[:, margin:margin + DIGIT_BOX, margin:margin + DIGIT_BOX] = np.rint(boxed.clip(0, 255))
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(BUNDLED_SPLIT_SEED).permutation(len(labels))
    test_count = round(len(labels) * BUNDLED_TEST_SHARE)
    test, train = order[:test_count], order[test_count:]
    return DigitImages(name="digits", train_images=images[train], train_labels=labels[train],
                       test_images=images[test], test_labels=labels[test])


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of ``(N, h, w)`` images to ``(N, size, size)`` (pixel centres aligned)."""
    height, width = images.shape[1:]
    rows = _sample_points(height, size)
    columns = _sample_points(width, size)
    top, bottom, row_weight = rows
    left, right, column_weight = columns
    upper = images[:, top][:, :, left] * (1 - column_weight) + images[:, top][:, :, right] * column_weight
    lower = images[:, bottom][:, :, left] * (1 - column_weight) + images[:, bottom][:, :, right] * column_weight
    return upper * (1 - row_weight[:, None]) + lower * row_weight[:, None]


def _sample_points(source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centres = (np.arange(target) + 0.5) * source / target - 0.5
    centres = centres.clip(0, source - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, source - 1)
    return low, high, centres - low


def augmented(images: np.ndarray, labels: np.ndarray, *, count: int, seed: int,
              max_shift: int = 2, noise: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images drawn from ``images`` (cycled in a random order), each shifted by up to
    ``max_shift`` pixels each way and given a little Gaussian noise; labels follow their images."""
    generator = np.random.default_rng(seed)
    picks = generator.permutation(np.resize(np.arange(len(images)), count))
    out = np.zeros((count, *images.shape[1:]), dtype=np.uint8)
    shifts = generator.integers(-max_shift, max_shift + 1, size=(count, 2))
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            chosen = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            if len(chosen):
                out[chosen] = _shifted(images[picks[chosen]], dy, dx)
    noisy = out.astype(np.float32) + generator.normal(0.0, noise, size=out.shape).astype(np.float32)
    return noisy.clip(0, 255).astype(np.uint8), labels[picks].astype(np.uint8)


def _shifted(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    shifted = np.zeros_like(images)
    height, width = images.shape[1:]
    shifted[:, max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        images[:, max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    return shifted


def _require_digits(images: np.ndarray, labels: np.ndarray, part: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or images.dtype != np.uint8:
        raise DatasetError(f"the {part} images must be uint8 {IMAGE_SIZE}×{IMAGE_SIZE}; got {images.dtype} "
                           f"{images.shape}")
    if labels.shape != (len(images),) or labels.dtype != np.uint8:
        raise DatasetError(f"the {part} labels must be one uint8 per image ({len(images)}); got {labels.dtype} "
                           f"{labels.shape}")
    if len(labels) == 0 or int(labels.max()) >= CLASSES:
        raise DatasetError(f"the {part} labels must be digits 0 to 9")


def training_data(folder: str | os.PathLike | None) -> DigitImages:
    """MNIST from ``folder`` when one is configured, else the bundled digits (cached per process)."""
    if not folder:
        return bundled_digits()
    return _mnist_cached(str(Path(folder).resolve()))


@cache
def _mnist_cached(folder: str) -> DigitImages:
    return mnist_from_folder(folder)
