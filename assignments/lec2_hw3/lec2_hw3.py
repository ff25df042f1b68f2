"""Lecture 2-2 HW3: train a CNN to recognise handwritten digits.
第二講之二 作業三：訓練一個 CNN 辨識手寫數字。

Upload this file as <account>_lec2_hw3.py (or a notebook, <account>_lec2_hw3.ipynb). It trains to
full marks as it is: change the model and the training, and see what it does to the test accuracy.
將本檔以 <學號>_lec2_hw3.py（或筆記本 <學號>_lec2_hw3.ipynb）上傳。本檔原樣即可得滿分；請修改模型
與訓練方式，觀察測試準確率如何變化。

The contract / 約定
-------------------
Define two functions. The grader calls them; nothing else in the file runs (except imports and
definitions), so do not train at the top level of the file.
請定義以下兩個函式，由評分系統呼叫；檔案中除了 import 與定義之外的程式碼不會被執行，請勿在檔案最外層訓練。

build_model() -> torch.nn.Module
    A new, untrained model. Input: images shaped (N, 1, 28, 28), floats from 0 (background) to
    1 (ink). Output: scores shaped (N, 10), one per digit 0-9 (logits; no softmax needed).
    At most 500,000 parameters.
    回傳一個尚未訓練的新模型。輸入：形狀 (N, 1, 28, 28) 的影像，數值 0（背景）到 1（筆跡）。
    輸出：形狀 (N, 10) 的分數，每個數字 0–9 一個（logits，不需要 softmax）。參數至多 500,000 個。

train(model, train_loader, device, budget) -> None
    Train `model` in place (it is already on `device`).
    - train_loader yields (images, labels) batches of 64, shuffled; labels are digits 0-9.
      One full pass over it is one epoch. After each epoch the grader measures the accuracy on
      held-out training images (the live curve on your result page) and keeps a copy of your
      weights.
    - device is "cuda" (a GPU) or "cpu": move each batch there (images.to(device)).
    - budget.seconds is your training time; budget.seconds_left() says what is left. When it
      runs out, training is stopped and the weights at that moment are scored.
    直接訓練 model（它已在 device 上）。
    - train_loader 每次給出一批 (images, labels)，每批 64 張、已打亂；labels 是數字 0–9。
      完整走過一次即為一個 epoch。每個 epoch 結束後，評分系統會以保留的訓練影像量測準確率（結果頁上的即時曲線），
      並保存一份你的權重。
    - device 是 "cuda"（GPU）或 "cpu"：請把每一批移到該裝置上（images.to(device)）。
    - budget.seconds 是訓練時間上限；budget.seconds_left() 是剩餘時間。時間用完時訓練會被停止，
      並以當下的權重評分。

Grading / 評分
--------------
Your weights are loaded into a fresh build_model() and predict the test images (never seen in
training). Full marks from 99% test accuracy on MNIST (96% on the small digit set used in the
demo), none at or below 90% (80%), in proportion between. Before that, a pre-check runs your
code on a few digits in seconds: if it fails you see why at once, and your file does not wait for a GPU.
評分時會把你的權重載入新的 build_model()，預測訓練時從未見過的測試影像。MNIST 測試準確率 99% 以上得滿分
（示範用的小型手寫數字資料集為 96%），90%（80%）以下為零分，中間依比例給分。正式訓練前會先在幾秒內以少量
影像做預先檢查：若失敗，你會立即看到原因，檔案也不會進入 GPU 佇列。
"""

import torch
from torch import nn

EPOCHS = 12


def build_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def train(model, train_loader, device, budget):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * len(train_loader))
    loss_function = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        model.train()
        total = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_function(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: mean loss {total / len(train_loader):.4f}, {budget.seconds_left():.0f} s left")


if __name__ == "__main__":
    # Try it on your own computer with scikit-learn's small digit set (not run when graded).
    # 在自己的電腦上用 scikit-learn 的小型手寫數字資料集試跑（評分時不會執行）。
    import numpy as np
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = F.pad(F.interpolate(torch.tensor(digits.images / 16, dtype=torch.float32)[:, None], size=20,
                                 mode="bilinear"), (4, 4, 4, 4))
    labels = torch.tensor(digits.target)
    order = torch.from_numpy(np.random.default_rng(0).permutation(len(labels)))
    test, training = order[:360], order[360:]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images[training], labels[training]),
                                         batch_size=64, shuffle=True)

    class Budget:
        seconds = 60.0

        def seconds_left(self):
            return self.seconds

    model = build_model()
    train(model, loader, "cpu", Budget())
    model.eval()
    with torch.no_grad():
        accuracy = (model(images[test]).argmax(1) == labels[test]).float().mean().item()
    print(f"test accuracy {accuracy:.2%}")
