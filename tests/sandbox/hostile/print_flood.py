# Hostile submission: prints 300 MB (and says where it ended, so the kept tail can be checked).
# answer: 42
import sys

line = "flood " * 170 + "\n"
for _number in range(300_000):
    sys.stdout.write(line)
print("FLOOD FINISHED")
