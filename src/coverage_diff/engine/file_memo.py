"""A CI file's front-end result remembered by its blob.

Reading a CI file into jobs depends on its content, its path and the settings only, so
the result is kept under (blob, path, reader, settings): in memory (a bounded LRU: a
history walk reads the same unchanged files at every commit) and, when the command
runs with the persistent cache, on disk as well (the PR bot's next push edits one of
hundreds of test-area files and reads the others from there).  A session owns one
(`Session.context.files`) and hands it to the front-ends in the `context.Context`.
"""

from __future__ import annotations

from collections import OrderedDict

from .cache import Cache, key_digest

NAMESPACE = "ci-file"
MAX_KEPT = 8192  # results kept in memory


class FileMemo:
    def __init__(self, cache: Cache | None = None) -> None:
        """`cache`: keep results on disk there too (None or a disabled cache: memory only)."""
        self.kept: "OrderedDict[tuple, object]" = OrderedDict()
        self.cache = cache or Cache.disabled()

    def get(self, key: tuple):
        found = self.kept.get(key)
        if found is not None:
            self.kept.move_to_end(key)
            return found
        if self.cache.enabled:
            found = self.cache.get(NAMESPACE, key_digest(key))
            if found is not None:
                self._keep(key, found)
        return found

    def put(self, key: tuple, value) -> None:
        self._keep(key, value)
        if self.cache.enabled:
            self.cache.put(NAMESPACE, value, key_digest(key))

    def _keep(self, key: tuple, value) -> None:
        self.kept[key] = value
        if len(self.kept) > MAX_KEPT:
            self.kept.popitem(last=False)

