"""Lecture 2-2, homework 1: the sizes of a CNN's feature maps, and its number of parameters.

講義 2-2 作業一：計算 CNN 每一層的輸入、輸出大小與模型的總參數量。

Read ``NetHW`` below. For every layer (the 16 modules created in ``__init__``), write the size of
the tensor that goes into it and the size that comes out of it, for the input
``x = torch.randn(1, 3, 32, 32)``. Then write the model's total number of parameters (an exact
integer). Write your answers in the comment template at the end of this file, then upload it as
``<account>_lec2_hw1.py`` (for example ``310510123_lec2_hw1.py``).

Do not change the model: your answers are graded against this exact network.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class NetHW(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=5, stride=1, padding=2)
        self.bn1 = nn.BatchNorm2d(32)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(64, 64, kernel_size=3, padding=2, dilation=2)
        self.dwconv = nn.Conv2d(64, 64, kernel_size=3, padding=1, groups=64)
        self.pwconv = nn.Conv2d(64, 128, kernel_size=1)
        self.gconv = nn.Conv2d(128, 128, kernel_size=3, padding=1, groups=4, bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.upconv = nn.ConvTranspose2d(128, 32, kernel_size=2, stride=2)
        self.fuse = nn.Conv2d(64, 64, kernel_size=1)
        self.pool2 = nn.AvgPool2d(kernel_size=3, stride=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(64, 128)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        skip = self.pool1(x)
        x = F.relu(self.conv2(skip))
        x = x + F.relu(self.conv3(x))  # residual connection
        x = self.pwconv(self.dwconv(x))  # depthwise separable convolution
        x = F.relu(self.bn2(self.gconv(x)))
        x = self.upconv(x)
        x = torch.cat([x, skip], dim=1)
        x = F.relu(self.fuse(x))
        x = self.pool2(x)
        x = torch.flatten(self.gap(x), 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


if __name__ == "__main__":
    model = NetHW()
    x = torch.randn(1, 3, 32, 32)
    print(model(x).shape)


# ==================================================================================================
# layer 0: (1, 3, 32, 32) -> (1, 32, 28, 28)
# layer 1: (1, 32, 32, 32) -> (1, 32, 32, 32)
# layer 2: (1, 32, 32, 32) -> (1, 32, 31, 31)
# layer 3: (1, 32, 16, 16) -> (1, 64, 16, 16)
# layer 4: (1, 64, 8, 8) -> (1, 64, 10, 10)
# layer 5: (1, 128, 8, 8) -> (1, 64, 6, 6)
# layer 6: (1, 64, 8, 8) -> (1, 128, 8, 8)
# layer 7: (1, 128, 8, 8) -> (1, 128, 6, 6)
# layer 8: (1, 128, 8, 8) -> (1, 128, 8, 8)
# layer 9: (1, 128, 8, 8) -> (1, 32, 4, 4)
# layer 10: (1, 32, 16, 16) -> (1, 64, 16, 16)
# layer 11: (1, 64, 16, 16) -> (1, 64, 8, 8)
# layer 12: (1, 64, 7, 7) -> (1, 64)
# layer 13: (1, 64, 1, 1) -> (1, 128)
# layer 14: (1, 128) -> (1, 64)
# layer 15: (1, 128) -> (1, 10)
# Total params: 134506
