# Trains one epoch, then fails in the second.
import torch
from torch import nn


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def train(model, train_loader, device, budget):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        for step, (images, labels) in enumerate(train_loader):
            if epoch == 1 and step == 2:
                raise RuntimeError("learning rate schedule went wrong in epoch 2")
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images.to(device)), labels.to(device)).backward()
            optimizer.step()
