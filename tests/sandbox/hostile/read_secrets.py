# Hostile submission: looks for the worker's secrets and other students' files, and prints
# everything it finds so that a leak would show up in the stored result.
# answer: 42
import os
import re
import sys

FOUND = []


def note(where, text):
    FOUND.append(f"{where}: {text[:300]!r}")


note("os.environ", repr(dict(os.environ)))
for pid in sorted(entry for entry in os.listdir("/proc") if entry.isdigit()):
    for name in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as handle:
                note(f"/proc/{pid}/{name}", handle.read(4000).decode("utf-8", "replace"))
        except OSError as error:
            note(f"/proc/{pid}/{name}", f"refused: {error.strerror}")
for path in ("/etc/shadow", "/root", "/work/main/var", "/work/main/var/courseportal.sqlite3",
             "/work/main/courseportal/settings.py", "/work/main/manage.py", "/var/lib"):
    try:
        if os.path.isdir(path):
            note(path, repr(os.listdir(path)))
        else:
            with open(path, "rb") as handle:
                note(path, handle.read(2000).decode("utf-8", "replace"))
    except OSError as error:
        note(path, f"refused: {error.strerror}")
# Everything visible outside the system and the Python installation, read in full (bounded).
skipped = ("/proc", "/sys", "/usr", "/dev", sys.prefix, sys.base_prefix)
seen = 0
for root, folders, files in os.walk("/"):
    folders[:] = [name for name in folders if not os.path.join(root, name).startswith(skipped)]
    for name in files:
        seen += 1
        if seen > 5000:
            break
        path = os.path.join(root, name)
        try:
            with open(path, "rb") as handle:
                note(path, handle.read(20000).decode("utf-8", "replace"))
        except OSError as error:
            note(path, f"refused: {error.strerror}")
# Print compactly and print the juicy parts last: only the tail of the output is kept, and a
# leak must not hide in the part that is cut.
print("seen:", len(FOUND), "places")
juicy = re.compile(r"(SECRET_KEY|DATABASE_URL|REDIS_URL|password|DECOY).{0,120}")
for line in FOUND:
    for match in juicy.finditer(line):
        print("FOUND", line.split(":", 1)[0], match.group(0)[:160])
