"""Supervising a running sandbox from outside: the clock, the pipes, the kill."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time

from judge.sandbox import cgroups
from judge.sandbox.limits import RunMeter, RunOutcome, SandboxLimits
from judge.sandbox.processes import kill_uid

_TICK_S = 0.05
_READ_CHUNK = 65536


def kill_run(proc: subprocess.Popen, cg: cgroups.RunCgroup, uid: int) -> None:
    # bwrap's process group first (its pid-namespace init dies with it, and every process of
    # the namespace with that), then whatever the cgroup and the UID still hold.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.kill()
    except OSError:
        pass
    cg.kill_all()
    kill_uid(uid, spare=proc.pid)


def supervise(proc, cg, uid: int, start, payload: bytes, limits: SandboxLimits, channel, chan_r) -> RunOutcome:
    sel = selectors.DefaultSelector()
    out = bytearray()
    err = bytearray()
    out_total = 0
    chan_total = 0
    flags = {"timed_out": False, "reason": "", "output": False, "channel": False, "killed": False}

    stdin_fd = proc.stdin.fileno()
    os.set_blocking(stdin_fd, False)
    pending = memoryview(payload)
    if pending:
        sel.register(stdin_fd, selectors.EVENT_WRITE, "stdin")
    else:
        proc.stdin.close()
    readers = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
    if chan_r >= 0:
        readers[chan_r] = "channel"
    for fd, name in readers.items():
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ, name)
    open_readers = len(readers)

    def kill(**why) -> None:
        for key, value in why.items():
            flags[key] = value
        flags["killed"] = True
        kill_run(proc, cg, uid)

    meter = RunMeter(cg, start)

    def check_clock() -> bool:
        wall = time.monotonic() - start
        cpu = cg.cpu_seconds()
        if wall > limits.wall_time_s:
            kill(timed_out=True, reason="wall")
        elif cpu > limits.cpu_time_s:
            kill(timed_out=True, reason="cpu")
        elif channel is not None:
            reason = channel.expired(meter)
            if reason:
                kill(timed_out=True, reason=reason)
        return flags["killed"]

    try:
        while open_readers and not flags["killed"]:
            if check_clock():
                break
            wall = time.monotonic() - start
            events = sel.select(max(0.0, min(_TICK_S, limits.wall_time_s - wall)))
            for key, _ in events:
                name = key.data
                if name == "stdin":
                    try:
                        n = os.write(stdin_fd, pending[:_READ_CHUNK])
                        pending = pending[n:]
                    except BlockingIOError:
                        continue
                    except OSError:  # EPIPE: the program does not read its input
                        pending = pending[:0]
                    if not pending:
                        sel.unregister(stdin_fd)
                        proc.stdin.close()
                    continue
                try:
                    data = os.read(key.fd, _READ_CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    sel.unregister(key.fd)
                    open_readers -= 1
                    continue
                if name == "channel":
                    chan_total += len(data)
                    if chan_total > limits.channel_bytes:
                        kill(channel=True)
                        break
                    channel.feed(data, meter)
                    continue
                out_total += len(data)
                room = max(0, limits.output_bytes - len(out) - len(err))
                (out if name == "stdout" else err).extend(data[:room])
                if out_total > limits.output_bytes:
                    kill(output=True)
                    break
        # All pipes closed (or the run was killed): wait for bwrap, still on the clock.
        while proc.poll() is None:
            if not flags["killed"] and check_clock():
                break
            try:
                proc.wait(timeout=_TICK_S)
            except subprocess.TimeoutExpired:
                pass
        proc.wait()
    finally:
        sel.close()
        if not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass

    wall = time.monotonic() - start
    rc = proc.returncode
    sig = None
    if rc < 0:
        sig = -rc
    elif rc > 128 and rc - 128 < signal.NSIG:
        sig = rc - 128
    peak = cg.memory_peak_bytes()
    return RunOutcome(
        exit_code=rc,
        signal=sig,
        cpu_time_s=cg.cpu_seconds(),
        wall_time_s=wall,
        memory_peak_kb=None if peak is None else peak // 1024,
        stdout=bytes(out),
        stderr=bytes(err),
        timed_out=flags["timed_out"],
        timeout_reason=flags["reason"],
        output_exceeded=flags["output"],
        channel_exceeded=flags["channel"],
        memory_exceeded=cg.oom_killed(),
        killed=flags["killed"],
    )
