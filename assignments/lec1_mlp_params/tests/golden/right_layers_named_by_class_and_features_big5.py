"""Lecture 2-1 homework: the number of parameters of a multilayer perceptron.

量竡 2-1 穨璸衡糷稰竟MLP–糷把计秖籔羆把计秖

``MLP`` below classifies 28⊙28 MNIST digits. Write the number of parameters (weights and biases)
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
# Linear(784, 256): 200960 把计
# Linear(256, 128): 32896 把计
# Linear(128, 10): 1290 把计
# 羆把计秖235146
