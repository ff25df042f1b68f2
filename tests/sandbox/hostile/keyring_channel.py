# Hostile submission: hides a message in the session and user keyrings, which no namespace
# separates, for the next run (or another slot) to find.
# answer: 42
import ctypes
import os

ADD_KEY = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine, -1)
SESSION_KEYRING, USER_KEYRING = -3, -4
libc = ctypes.CDLL(None, use_errno=True)
for keyring in (SESSION_KEYRING, USER_KEYRING):
    serial = libc.syscall(ADD_KEY, b"user", b"courseportal-channel", b"secret answers", 14, keyring)
    print("add_key", keyring, serial, os.strerror(ctypes.get_errno()) if serial < 0 else "stored")
