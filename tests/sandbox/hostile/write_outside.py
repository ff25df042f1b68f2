# Hostile submission: tries to leave files outside its scratch folder and to overwrite decoy
# files the test put where a careless sandbox would show them. It only creates files with one
# marker name and only overwrites files that start with DECOY, so a broken sandbox does no harm.
# answer: 42
import os
import sys

MARKER = "HOSTILE_WAS_HERE"
targets = ["/", "/tmp/..", "/etc", "/usr", "/usr/lib", "/opt", "/opt/courseportal", "/work", "/work/main",
           sys.prefix, os.path.join(sys.prefix, "lib"), "/var", "/root", os.path.dirname(os.getcwd())]
created = []
for folder in targets:
    try:
        with open(os.path.join(folder, MARKER), "w") as handle:
            handle.write("owned")
        created.append(folder)
    except OSError:
        pass
overwritten = []
for root, folders, files in os.walk("/"):
    # The Python environment is skipped (tens of thousands of read-only files): walking it only
    # makes the run's time depend on the machine's load.
    folders[:] = [name for name in folders
                  if not os.path.join(root, name).startswith(("/proc", "/sys", "/usr", "/dev", sys.prefix))]
    for name in files:
        path = os.path.join(root, name)
        try:
            with open(path, "rb") as handle:
                is_decoy = handle.read(5) == b"DECOY"
            if is_decoy:
                with open(path, "wb") as handle:
                    handle.write(b"OVERWRITTEN")
                overwritten.append(path)
        except OSError:
            pass
try:
    os.chmod("/opt/courseportal/runner.py", 0o777)
    created.append("chmod runner.py")
except OSError:
    pass
print("created:", created, "overwritten:", overwritten)
