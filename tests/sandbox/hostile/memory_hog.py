# Hostile submission: allocates memory in 64 MB steps, up to 3 GB at most.
# answer: 42
blocks = []
for _ in range(48):
    blocks.append(bytearray(64 * 1024 * 1024))
print("allocated", len(blocks) * 64, "MB")
