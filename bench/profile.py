"""Optional py-spy sampling of the server during a run (collapsed stacks for a flame graph)."""

import asyncio
import re
import shutil
import sys
from pathlib import Path

from bench.servers import Server


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


def top_functions(collapsed: Path, count: int = 15) -> list[tuple[str, float]]:
    """The functions with the most self time in a collapsed-stack file, as (frame, share)."""
    own: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        leaf = re.sub(r":\d+\)$", ")", stack.rsplit(";", 1)[-1])
        own[leaf] = own.get(leaf, 0) + int(samples)
        total += int(samples)
    ranked = sorted(own.items(), key=lambda kv: -kv[1])[:count]
    return [(frame, round(n / max(total, 1), 3)) for frame, n in ranked]


def main() -> None:
    """Print the top functions of the collapsed-stack file named on the command line."""
    for frame, share in top_functions(Path(sys.argv[1])):
        print(f"{share:6.1%}  {frame}")


if __name__ == "__main__":
    main()
