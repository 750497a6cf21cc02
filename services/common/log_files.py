"""A process's log file, rotated by size.

`make run` (scripts/system.py) sends each process's stdout and stderr to its own file
and names it in CLEP_LOG_FILE. Everything the process writes goes there: its log records,
and what never passes through logging (a crash's traceback, a warning at import). So the
rotation moves the file itself: once it holds `max_bytes`, it becomes `<file>.1` (`.1`
becomes `.2`, ... up to `backups` files), a new file takes its place, and the process's
stdout and stderr are pointed at it. Without CLEP_LOG_FILE (a container, a terminal), the
handler writes to stderr and rotates nothing: whoever collects stderr keeps the logs.
"""
import logging
import os
import sys

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5


class RotatingStderr(logging.StreamHandler):
    """Log records to stderr; stderr's file rotated by size when `path` names it."""

    def __init__(self, path=None, max_bytes=DEFAULT_MAX_BYTES, backups=DEFAULT_BACKUPS):
        super().__init__(sys.stderr)
        self.path = str(path) if path else None
        self.max_bytes = max(int(max_bytes or DEFAULT_MAX_BYTES), 1)
        self.backups = max(int(backups if backups not in (None, "") else DEFAULT_BACKUPS), 0)

    def emit(self, record):  # under the handler's lock: one rotation at a time
        if self.path and self._is_full():
            self._rotate()
        super().emit(record)

    def _is_full(self):
        try:
            written = os.fstat(2)
            named = os.stat(self.path)
        except OSError:
            return False
        # only the file stderr writes to: never one someone else put at that path
        return (written.st_dev, written.st_ino) == (named.st_dev, named.st_ino) and \
            written.st_size >= self.max_bytes

    def _rotate(self):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        stdout_too = _same_file(1, 2)
        if self.backups:
            for number in range(self.backups - 1, 0, -1):
                older = "{}.{}".format(self.path, number)
                if os.path.exists(older):
                    os.replace(older, "{}.{}".format(self.path, number + 1))
            os.replace(self.path, self.path + ".1")
        else:
            os.unlink(self.path)
        fresh = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.dup2(fresh, 2)
            if stdout_too:
                os.dup2(fresh, 1)
        finally:
            os.close(fresh)


def _same_file(first_fd, second_fd):
    try:
        first, second = os.fstat(first_fd), os.fstat(second_fd)
    except OSError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)
