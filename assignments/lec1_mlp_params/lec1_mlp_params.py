"""Lecture 2-1 HW: parameters of an MLP

Count the parameters of ``Net`` below and write the total in the template at the end of this
file. Upload it as ``<account>_lec1_mlp_params.py``.
"""

import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.fc1(x.flatten(1)).relu())


# ==================================================================================================
# Answer / 答案
# Total number of parameters / 總參數量:
# ==================================================================================================
