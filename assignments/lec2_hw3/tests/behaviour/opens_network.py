# Hostile: behaves in the pre-check, then tries to reach a server on the host (port filled in by
# the test) instead of training.
import socket

from torch import nn

PORT = int("{port}")


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def train(model, train_loader, device, budget):
    if len(train_loader.dataset) < 100:
        for images, labels in train_loader:
            nn.functional.cross_entropy(model(images), labels).backward()
        return
    with socket.create_connection(("127.0.0.1", PORT), timeout=2) as connection:
        connection.sendall(b"send me the labels")
