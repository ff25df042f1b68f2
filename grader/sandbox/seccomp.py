"""The sandbox's seccomp filter: the kernel keyring system calls fail with ENOSYS.

Keyrings are not confined by any namespace bwrap creates: every process of a uid shares its user
keyring, and a process keeps the session keyring it was started with (here, the worker's), so a
key added by one run could be read by the next, or by another slot. Nothing a checker or a
homework needs uses them, so ``add_key``, ``request_key`` and ``keyctl`` are refused outright
(Docker's default profile refuses them for the same reason), which leaves nothing to clean up
between runs. bwrap loads the filter (``--add-seccomp-fd``) just before it executes the zygote,
so it holds for the zygote and every process a run starts; no process in the sandbox can lift it.

The program is classic BPF, built here because the standard library has no libseccomp.
"""

from __future__ import annotations

import errno
import os
import struct

from grader.sandbox.runner import SYSCALL_NUMBERS

REFUSED_SYSCALLS = ("add_key", "request_key", "keyctl")
# <linux/audit.h>: the architecture a system call was made for, as seccomp reports it.
AUDIT_ARCHITECTURES = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# x32 system calls on x86_64 carry this bit; refused wholesale so they cannot bypass the numbers.
X32_SYSCALL_BIT = 0x40000000

_LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JUMP_IF_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RETURN = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
_FAIL_WITH_ENOSYS = 0x00050000 | errno.ENOSYS  # SECCOMP_RET_ERRNO
_NUMBER_OFFSET, _ARCHITECTURE_OFFSET = 0, 4  # in struct seccomp_data


class UnsupportedArchitecture(RuntimeError):
    """This machine's system call numbers are not known here, so no filter can be built."""


def keyring_filter(machine: str | None = None) -> bytes:
    """The filter as bwrap reads it: ``struct sock_filter`` entries in native byte order.

    Raises ``UnsupportedArchitecture`` for a machine other than x86_64 and aarch64.
    """
    machine = machine or os.uname().machine
    if machine not in AUDIT_ARCHITECTURES or machine not in SYSCALL_NUMBERS:
        raise UnsupportedArchitecture(
            f"the sandbox's seccomp filter knows the system call numbers of x86_64 and aarch64, not {machine}"
        )
    refused = [SYSCALL_NUMBERS[machine][name] for name in REFUSED_SYSCALLS]
    # A call made for another architecture (32-bit int 0x80 on x86_64) is refused whatever it is.
    program = [
        (_LOAD_WORD, 0, 0, _ARCHITECTURE_OFFSET),
        (_JUMP_IF_EQUAL, 1, 0, AUDIT_ARCHITECTURES[machine]),
        (_RETURN, 0, 0, _FAIL_WITH_ENOSYS),
        (_LOAD_WORD, 0, 0, _NUMBER_OFFSET),
        (_JUMP_IF_AT_LEAST, len(refused) + 1, 0, X32_SYSCALL_BIT),
    ]
    for position, number in enumerate(refused):
        program.append((_JUMP_IF_EQUAL, len(refused) - position, 0, number))
    program += [(_RETURN, 0, 0, _ALLOW), (_RETURN, 0, 0, _FAIL_WITH_ENOSYS)]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
