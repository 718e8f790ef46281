"""CPU time of a server's whole process tree (master, workers and their helpers), from /proc.

A process's `utime + stime` counts its own threads; `cutime + cstime` counts the children it has
waited for, which no longer appear in /proc. Summing all four over the live processes of the tree
therefore counts every process once, also a worker that exits and is reaped by the master between
two snapshots: its time moves from its own fields into the master's. Zombies still show their own
times and have not been added to their parent's yet. Only a process that leaves the tree (is
reparented elsewhere) before it exits is lost; servers do not do that.

Linux only; psutil is not needed for these four numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessTimes:
    """One line of /proc/<pid>/stat: parent and CPU times in clock ticks."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def ticks(self) -> int:
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> ProcessTimes:
    """Parse /proc/<pid>/stat (proc(5)). The command name is in parentheses and may itself
    contain spaces and parentheses, so the fields are counted from the last ')'."""
    pid_text, _, rest = text.partition(" (")
    fields = rest.rpartition(")")[2].split()
    # fields[0] is field 3 (state) of proc(5): field n is fields[n - 3]
    return ProcessTimes(
        pid=int(pid_text),
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
    )


def descendants(root: int, parents: Mapping[int, int]) -> set[int]:
    """`root` and every process whose chain of parents leads to it; `parents` maps pid → ppid."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found = {root}
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def tree_ticks(root: int, processes: Iterable[ProcessTimes]) -> int:
    """CPU clock ticks used so far by `root`'s tree (live processes and those they reaped)."""
    by_pid = {p.pid: p for p in processes}
    if root not in by_pid:
        raise ProcessLookupError(root)
    tree = descendants(root, {p.pid: p.ppid for p in by_pid.values()})
    return sum(by_pid[pid].ticks for pid in tree)


def ms_per_message(ticks: int, messages: int, ticks_per_s: int) -> float:
    """Milliseconds of CPU per message; NaN when no message was sent."""
    if messages <= 0:
        return float("nan")
    return ticks * 1000 / ticks_per_s / messages


def read_processes(proc: Path = PROC) -> list[ProcessTimes]:
    """Every process's times; a process that exits while being read is left out."""
    out = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            out.append(parse_stat((entry / "stat").read_text()))
        except (OSError, ValueError, IndexError):
            continue
    return out


TICKS_PER_S = os.sysconf("SC_CLK_TCK")


class TreeCpu:
    """Snapshots of one server's tree: `TreeCpu(pid).ms_since(before)` is its CPU in ms."""

    def __init__(self, root: int) -> None:
        self.root = root

    def ticks(self) -> int:
        return tree_ticks(self.root, read_processes())

    def ms_since(self, before_ticks: int) -> float:
        return (self.ticks() - before_ticks) * 1000 / TICKS_PER_S
