"""The training harness's own logic, run in-process on our code (it runs in the sandbox in production)."""

from __future__ import annotations

import types

import numpy as np
import torch

from grader.training import harness


def loader_of(batches: int, seconds: float = 60.0, on_epoch_end=lambda epoch: None):
    images = np.zeros((batches * 4, 28, 28), dtype=np.uint8)
    labels = np.zeros(batches * 4, dtype=np.uint8)
    budget = harness.Budget(seconds)
    return harness.EpochLoader(harness._loader(torch, images, labels, batch_size=4, seed=0), budget, on_epoch_end), budget


def test_one_full_pass_over_the_loader_is_one_epoch():
    ends = []
    loader, _ = loader_of(3, on_epoch_end=ends.append)
    for _epoch in range(2):
        assert sum(1 for _batch in loader) == 3
    assert ends == [1, 2] and loader.batches == 6 and len(loader) == 3
    assert len(loader.dataset) == 12  # a DataLoader's attributes are there too


def test_training_that_never_stops_is_stopped_at_the_budget():
    model = torch.nn.Linear(1, 1)
    loader, budget = loader_of(2, seconds=0.3)

    def forever(model, train_loader, device, budget):
        while True:
            for _batch in train_loader:
                pass

    assert harness._train_until_stopped(torch, model, forever, loader, "cpu", budget) == ("budget", None)


def test_training_that_swallows_exceptions_is_still_stopped_at_the_budget():
    loader, budget = loader_of(2, seconds=0.3)

    def stubborn(model, train_loader, device, budget):
        while True:
            try:
                for _batch in train_loader:
                    pass
            except Exception:  # noqa: BLE001 - what a student might write
                pass

    assert harness._train_until_stopped(torch, torch.nn.Linear(1, 1), stubborn, loader, "cpu", budget)[0] == "budget"


def test_running_out_of_gpu_memory_ends_training_as_over_the_memory_budget():
    loader, budget = loader_of(1)

    def greedy(model, train_loader, device, budget):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    outcome, error = harness._train_until_stopped(torch, torch.nn.Linear(1, 1), greedy, loader, "cuda", budget)
    assert outcome == "gpu_memory" and "Tried to allocate" in str(error)


def test_a_crash_is_reported_with_the_students_traceback():
    loader, budget = loader_of(1)

    def broken(model, train_loader, device, budget):
        return 1 / 0

    outcome, error = harness._train_until_stopped(torch, torch.nn.Linear(1, 1), broken, loader, "cpu", budget)
    assert outcome == "crashed" and "ZeroDivisionError" in harness.student_traceback(error)


def test_the_gpu_memory_budget_becomes_the_jobs_fraction_of_the_gpu():
    chosen = []
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(
        set_per_process_memory_fraction=lambda fraction, device: chosen.append((fraction, device)),
        get_device_properties=lambda index: types.SimpleNamespace(total_memory=80 * 1024**3)))
    harness._limit_gpu_memory(fake, {"gpu_memory_fraction": 0.25})
    harness._limit_gpu_memory(fake, {"gpu_memory_bytes": 20 * 1024**3, "gpu_memory_fraction": None})
    harness._limit_gpu_memory(fake, {"gpu_memory_bytes": 200 * 1024**3})
    assert chosen == [(0.25, 0), (0.25, 0), (1.0, 0)]
