"""Lecture 2-1 homework: the number of parameters of a multilayer perceptron.

講義 2-1 作業：計算多層感知器（MLP）每一層的參數量與總參數量。

``MLP`` below classifies 28×28 MNIST digits. Write the number of parameters (weights and biases)
of each of its layers, then the total, in the template at the end of this file, and upload it as
``<account>_lec1_mlp_params.py`` (for example ``310510123_lec1_mlp_params.py``).
"""

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


# ==================================================================================================
"""
| Layer | Parameters |
|---|---:|
| fc1 | 200,704 |
| fc2 | 32,768 |
| fc3 | 1,280 |
| **Total** | **234,752** |
"""
