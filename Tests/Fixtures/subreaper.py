#!/usr/bin/env python3
"""Runs a command as the child of a subreaper that never reaps, like a container's PID 1
that is not an init: orphans (a terraform whose fleetform was killed) are re-parented to
it and stay zombies after they exit. Prints the command's pid, then sleeps until killed."""
import ctypes
import os
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
child = os.fork()
if child == 0:
    os.execv(sys.argv[1], sys.argv[1:])
print(child, flush=True)
while True:
    time.sleep(3600)
