"""Lecture 2-1 homework, by 310510123."""

import torch.nn as nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = self.fc1(x).relu()
        x = self.fc2(x).relu()
        return self.fc3(x)


# fc1 parameters: 784*256 + 256 = 200,960
# fc2 parameters: 256*128 + 128 = 32896
# fc3 parameters: 128 × 10 + 10 = 1290
# Total number of parameters / 總參數量: 235146
