"""The floor: the least any tool must do to diff two revisions of a repository.

List both trees and read every blob of both through one `git cat-file --batch`
process.  The benchmarks time this as a process of its own (interpreter start
included, like the tool) and report every figure as a ratio to it.

    python benchmarks/floor.py REPO BASE HEAD      # prints blobs and bytes read
"""

from __future__ import annotations

import subprocess
import sys


def tree_blobs(repo: str, rev: str) -> list[str]:
    out = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "-z", "--full-tree", rev], check=True, capture_output=True).stdout
    blobs = []
    for record in out.split(b"\0"):
        meta, _, _path = record.partition(b"\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == b"blob":
            blobs.append(fields[2].decode())
    return blobs


def read_all(repo: str, blobs: list[str]) -> tuple[int, int]:
    """(blobs read, bytes read), every blob parsed out of one batch stream."""
    request = "".join(f"{b}\n" for b in blobs).encode()
    out = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input=request, check=True, capture_output=True).stdout
    count = total = position = 0
    while position < len(out):
        end = out.index(b"\n", position)
        size = int(out[position:end].split()[2])
        position = end + 1 + size + 1
        count += 1
        total += size
    return count, total


def main(argv: list[str]) -> int:
    repo, base, head = argv
    blobs = list(dict.fromkeys(tree_blobs(repo, base) + tree_blobs(repo, head)))
    count, size = read_all(repo, blobs)
    print(f"{count} blobs, {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
