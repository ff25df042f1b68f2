"""scikit-learn's bundled digits at MNIST's size, split the same way everywhere, and augmented."""

from __future__ import annotations

import numpy as np

from grader.datasets import augmented, bundled_digits, training_data


def test_bundled_digits_are_mnist_shaped_centred_and_split_80_20():
    data = bundled_digits()
    assert data.name == "digits" and training_data(None) is data
    assert data.train_images.shape == (1438, 28, 28) and data.test_images.shape == (359, 28, 28)
    assert data.train_images.dtype == np.uint8 and data.train_labels.dtype == np.uint8
    everything = np.concatenate([data.train_images, data.test_images])
    assert everything[:, :4].max() == 0 and everything[:, :, -4:].max() == 0  # MNIST's empty margin
    assert everything.max() == 255
    assert set(np.unique(data.test_labels)) == set(range(10))


def test_the_split_is_the_same_on_every_call_and_train_and_test_do_not_overlap():
    data = bundled_digits()
    bundled_digits.cache_clear()
    again = bundled_digits()
    assert again.digest == data.digest
    train = {image.tobytes() for image in data.train_images}
    assert not any(image.tobytes() in train for image in data.test_images)


def test_augmented_images_keep_their_labels_and_are_shifted_copies():
    data = bundled_digits()
    images, labels = augmented(data.train_images[:50], data.train_labels[:50], count=500, seed=1, noise=0.0)
    assert images.shape == (500, 28, 28) and labels.shape == (500,)
    assert np.bincount(labels, minlength=10).sum() == 500
    originals = {image.tobytes(): label for image, label in zip(data.train_images[:50], data.train_labels[:50],
                                                                strict=True)}
    unshifted = [label == originals[image.tobytes()] for image, label in zip(images, labels, strict=True)
                 if image.tobytes() in originals]
    assert unshifted and all(unshifted)  # the copies that happened not to move carry their own label
    assert len(unshifted) < 100  # most did move
