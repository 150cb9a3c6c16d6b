"""Describe the machine and append a result section to benchmarks/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    """Return a one-line description: CPU model, cores, memory, OS, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def record(title: str, lines: list[str]) -> str:
    """Append a dated section with the machine and the command to RESULTS.md; return its text."""
    script = os.path.relpath(os.path.abspath(sys.argv[0]), RESULTS.parent.parent)
    command = "python " + " ".join(shlex.quote(a) for a in [script, *sys.argv[1:]])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [f"### {title} — {stamp}", "", f"- machine: {machine()}", f"- command: `{command}`", *lines, ""]
    )
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nOne section per run, newest last. Ratios compare with a baseline measured in "
            "the same run, because these machines are shared and noisy.\n\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write("\n" + text)
    return text
