# Hostile: behaves in the pre-check, then looks for the test labels instead of training: the
# instructor's MNIST folder (its host path is filled in by the test), scikit-learn's bundled
# digits, and any file named like test labels anywhere it can see.
import os

from torch import nn

HOST_DATA_FOLDER = "{host_data_folder}"


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def train(model, train_loader, device, budget):
    if len(train_loader.dataset) < 100:  # the pre-check's handful of digits
        for images, labels in train_loader:
            nn.functional.cross_entropy(model(images), labels).backward()
        return
    found, refused = [], []
    for path in (os.path.join(HOST_DATA_FOLDER, "t10k-labels-idx1-ubyte.gz"),
                 os.path.join(HOST_DATA_FOLDER, "t10k-labels-idx1-ubyte")):
        try:
            with open(path, "rb") as handle:
                found.append((path, handle.read(20)))
        except OSError as error:
            refused.append(f"{path}: {type(error).__name__}")
    try:
        from sklearn.datasets import load_digits

        found.append(("load_digits", load_digits().target[:20].tolist()))
    except OSError as error:
        refused.append(f"load_digits: {type(error).__name__}")
    for root, folders, files in os.walk("/"):
        folders[:] = [name for name in folders if os.path.join(root, name) not in ("/proc", "/sys", "/dev")]
        found += [os.path.join(root, name) for name in files if "t10k" in name or name.startswith("test_labels")]
    if found:
        print("FOUND LABELS", found)
    raise FileNotFoundError("no test labels: " + "; ".join(refused))
