# Hostile: behaves in the pre-check, then tries to change the training data, the environment, the
# sandbox's own files and the host's, instead of training.
import os
import sys

from torch import nn

HOST_FOLDERS = ["{host_data_folder}", "{repository}"]


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def train(model, train_loader, device, budget):
    if len(train_loader.dataset) < 100:
        for images, labels in train_loader:
            nn.functional.cross_entropy(model(images), labels).backward()
        return
    data = os.environ.get("SANDBOX_DATA_DIR", "/nowhere")
    targets = [os.path.join(data, "train_labels.npy"), os.path.join(data, "HOSTILE_WAS_HERE"), "/HOSTILE_WAS_HERE",
               "/opt/courseportal/runner.py", os.path.join(sys.prefix, "HOSTILE_WAS_HERE")]
    targets += [os.path.join(folder, "HOSTILE_WAS_HERE") for folder in HOST_FOLDERS]
    written, refused = [], []
    for path in targets:
        try:
            with open(path, "ab") as handle:
                handle.write(b"owned")
            written.append(path)
        except OSError as error:
            refused.append(f"{path}: {error.strerror}")
    print("written:", written)
    raise PermissionError("could not write outside scratch: " + "; ".join(refused))
