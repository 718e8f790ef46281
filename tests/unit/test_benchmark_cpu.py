"""Server CPU accounting: a process tree's user + system time from /proc, reaped workers included."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.cpu import (
    ProcessTimes,
    TreeCpu,
    descendants,
    ms_per_message,
    parse_stat,
    read_processes,
    tree_ticks,
)


def stat_line(pid: int, comm: str, ppid: int, utime: int, stime: int, cut: int, cst: int) -> str:
    # fields 3..17 of proc(5): state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt,
    # majflt, cmajflt, utime, stime, cutime, cstime; then the rest
    return (
        f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0 "
        f"{utime} {stime} {cut} {cst} 20 0 9 0 744675 3133440 410\n"
    )


def times(pid: int, ppid: int, utime: int = 0, stime: int = 0, cutime: int = 0, cstime: int = 0):
    return ProcessTimes(pid, ppid, utime, stime, cutime, cstime)


def test_stat_fields_are_counted_from_the_end_of_the_command_name():
    line = stat_line(4242, "gunicorn: worker [webhooks) (app]", 4200, 150, 30, 7, 2)
    assert parse_stat(line) == ProcessTimes(4242, 4200, 150, 30, 7, 2)
    assert parse_stat(line).ticks == 189


def test_the_tree_is_the_master_its_workers_and_their_children_only():
    parents = {1: 0, 100: 1, 101: 100, 102: 100, 103: 101, 200: 1, 201: 200}
    assert descendants(100, parents) == {100, 101, 102, 103}
    assert descendants(103, parents) == {103}


def test_tree_ticks_count_live_processes_and_the_children_they_reaped():
    processes = [
        times(1, 0, utime=10_000),  # init: not the server's
        times(100, 1, utime=5, stime=1, cutime=40, cstime=4),  # master, reaped an old worker
        times(101, 100, utime=300, stime=60),  # worker
        times(103, 101, utime=2),  # a worker's helper
        times(200, 1, utime=999),  # another program
    ]
    assert tree_ticks(100, processes) == 5 + 1 + 40 + 4 + 300 + 60 + 2


def test_a_worker_that_exits_between_snapshots_is_neither_lost_nor_counted_twice():
    before = [times(100, 1, utime=10), times(101, 100, utime=50, stime=5)]
    # the worker used 30 more ticks, exited and was reaped: its total moved to the master's cutime
    after = [times(100, 1, utime=12, cutime=70, cstime=15), times(102, 100, utime=1)]
    assert tree_ticks(100, after) - tree_ticks(100, before) == 2 + 30 + 1


def test_a_server_that_is_gone_is_an_error_not_zero():
    with pytest.raises(ProcessLookupError):
        tree_ticks(100, [times(101, 100, utime=5)])


def test_milliseconds_per_message():
    assert ms_per_message(250, 50, ticks_per_s=100) == 50.0
    assert ms_per_message(3, 2000, ticks_per_s=100) == pytest.approx(0.015)
    assert math.isnan(ms_per_message(10, 0, ticks_per_s=100))


def test_reading_proc_skips_other_entries_and_processes_that_vanish(tmp_path: Path):
    for pid, line in ((7, stat_line(7, "a b", 1, 3, 4, 0, 0)), (8, "8 (trunc")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(line)
    (tmp_path / "9").mkdir()  # exited: no stat any more
    (tmp_path / "self").mkdir()
    (tmp_path / "uptime").write_text("1 2")
    assert read_processes(tmp_path) == [ProcessTimes(7, 1, 3, 4, 0, 0)]


def test_cpu_of_a_child_that_already_exited_is_counted_for_its_parent():
    burn = (
        "import time\n"
        "start = time.process_time()\n"
        "while time.process_time() - start < 0.2:\n"
        "    pass\n"
    )
    # the shell waits for a line, runs the CPU-burning child, then waits until stdin closes
    shell = subprocess.Popen(
        ["sh", "-c", f'read _; "{sys.executable}" -c "$BURN"; read _'],
        env={"BURN": burn, "PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE,
    )
    assert shell.stdin is not None
    try:
        cpu = TreeCpu(shell.pid)
        before = cpu.ticks()
        shell.stdin.write(b"go\n")
        shell.stdin.flush()
        used_ms = 0.0
        for _ in range(200):  # up to ~20 s on a loaded machine
            used_ms = cpu.ms_since(before)
            if used_ms >= 190:
                break
            time.sleep(0.1)
        assert used_ms >= 190, "the child's 200 ms of CPU never showed in its parent's tree"
    finally:
        shell.stdin.close()
        shell.wait(10)
