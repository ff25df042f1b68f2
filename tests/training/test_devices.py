"""Which device each worker slot trains on, and its share of a GPU."""

from __future__ import annotations

import pytest

from grader.training import training_device
from grader.training.devices import training_slots


def test_a_cpu_worker_trains_on_the_cpu_and_sees_no_gpu(settings):
    settings.TRAINING_DEVICE = "cpu"
    device = training_device(slot=3)
    assert (device.kind, device.env["CUDA_VISIBLE_DEVICES"], device.label) == ("cpu", "", "cpu")
    assert device.env["OMP_NUM_THREADS"] == "1"  # slots share the cores
    assert training_slots() == 1


def test_slots_are_pinned_to_gpus_jobs_per_gpu_at_a_time(settings):
    settings.TRAINING_DEVICE = "cuda"
    settings.TRAINING_GPUS = ["0", "1"]
    settings.TRAINING_JOBS_PER_GPU = 2
    settings.TRAINING_GPU_MEMORY_BYTES = None
    pinned = [training_device(slot=slot).env["CUDA_VISIBLE_DEVICES"] for slot in range(4)]
    assert pinned == ["0", "0", "1", "1"]
    assert training_device(slot=1).gpu_memory_fraction == 0.5
    assert training_slots() == 4


def test_a_gpu_memory_budget_in_bytes_replaces_the_equal_share(settings):
    settings.TRAINING_DEVICE = "cuda"
    settings.TRAINING_GPUS = ["3"]
    settings.TRAINING_JOBS_PER_GPU = 4
    settings.TRAINING_GPU_MEMORY_BYTES = 10 * 1024**3
    device = training_device(slot=0)
    assert (device.gpu, device.gpu_memory_bytes, device.gpu_memory_fraction) == ("3", 10 * 1024**3, None)
    assert device.label == "cuda (GPU 3)"


@pytest.mark.parametrize(("name", "value"), [("TRAINING_DEVICE", "tpu"), ("TRAINING_JOBS_PER_GPU", 0),
                                             ("TRAINING_GPUS", [])])
def test_an_impossible_device_setting_is_refused(settings, name, value):
    settings.TRAINING_DEVICE = "cuda"
    setattr(settings, name, value)
    with pytest.raises(ValueError):
        training_device(slot=0)
