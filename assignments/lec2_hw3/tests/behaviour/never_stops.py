# Trains for ever: epoch after epoch, never looking at the budget.
import torch
from torch import nn


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def train(model, train_loader, device, budget):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    while True:
        for images, labels in train_loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images.to(device)), labels.to(device)).backward()
            optimizer.step()
