"""What the bench prints: one JSON line per run on stdout, progress on stderr."""

import json
import sys
import time


def emit(line: dict[str, object]) -> None:
    """Print one JSON result line on stdout, stamped with the UTC time."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(json.dumps({**line, "at": stamp}), flush=True)


def progress(text: str) -> None:
    """One progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
