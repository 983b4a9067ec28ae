"""Optional py-spy sampling of the server during a run, and a summary of where it spent time."""

import asyncio
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

from bench.servers import Server

# Leaves that are waits, not work: the event loop's epoll and the database threads' idle queue.get()
# (aiosqlite's, in servers before the database had its own threads).
WAITS = ("EpollSelector.select (selectors.py", "_connection_worker_thread (aiosqlite/core.py:59)",
         "_serve (chatserver/storage/sqlite_thread.py")


def py_spy() -> str:
    """Path of the py-spy executable, beside this interpreter or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    return found


async def record(server: Server, seconds: float, out: Path) -> asyncio.subprocess.Process:
    """Start sampling `server` for `seconds` into `out` (py-spy raw format)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        py_spy(), "record", "--pid", str(server.pid), "--duration", str(max(1, round(seconds))),
        "--rate", "250", "--nonblocking", "--format", "raw", "--output", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


def busy_stacks(collapsed: Path) -> Counter[tuple[str, ...]]:
    """Sample counts per stack (frames without line numbers), waits left out."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        if not frames[-1].startswith(WAITS):
            stacks[tuple(re.sub(r":\d+\)$", ")", f) for f in frames)] += int(samples)
    return stacks


def ranking(stacks: Counter[tuple[str, ...]], inclusive: bool, match: str = "") -> list[tuple[str, float]]:
    """Share of busy samples per function: self time, or time with the function on the stack."""
    total = sum(stacks.values()) or 1
    per: Counter[str] = Counter()
    for frames, n in stacks.items():
        for frame in set(frames) if inclusive else frames[-1:]:
            if match in frame:
                per[frame] += n
    return [(frame, n / total) for frame, n in per.most_common(15)]


def main() -> None:
    """Print self and inclusive (chatserver frames only) rankings of a collapsed-stack file."""
    stacks = busy_stacks(Path(sys.argv[1]))
    print(f"busy samples: {sum(stacks.values())}\nself time:")
    for frame, share in ranking(stacks, inclusive=False):
        print(f"{share:6.1%}  {frame}")
    print("on the stack (chatserver frames):")
    for frame, share in ranking(stacks, inclusive=True, match="chatserver/"):
        print(f"{share:6.1%}  {frame}")


if __name__ == "__main__":
    main()
