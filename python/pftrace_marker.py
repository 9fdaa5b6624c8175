# SPDX-License-Identifier: MIT
"""pftrace markers for Python: spans that `pftrace record --markers` shows.

    import pftrace_marker as pm

    with pm.span("req.db", table="users"):
        query()

    @pm.span("handle")
    def handle(request): ...

    pm.counter("queue depth", 17)

Lines are sysdig tracer lines with the thread ID (">:t:TAGS:ARGS:") and atrace
counters ("C|pid|name|value"), one write() each, to tracefs's trace_marker or,
where that cannot be opened (not root, no tracefs), to /dev/null (pftrace's
devnull channel; no counters there).  PFTRACE_MARKER_FILE in the environment
names another file.  Pure Python, standard library only.
"""
import contextlib
import os
import threading

__all__ = ["begin", "end", "counter", "span", "marker_file"]

_FILES = ("/sys/kernel/tracing/trace_marker",
          "/sys/kernel/debug/tracing/trace_marker",
          "/dev/null")
_lock = threading.Lock()
_fd = None
_path = None


def _open():
    global _fd, _path
    with _lock:
        if _fd is not None:
            return _fd
        candidates = list(_FILES)
        env = os.environ.get("PFTRACE_MARKER_FILE")
        if env:
            candidates.insert(0, env)
        for path in candidates:
            try:
                _fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
                _path = path
                break
            except OSError:
                continue
        else:
            _fd = -1
        return _fd


def marker_file():
    """The file markers are written to, or None."""
    _open()
    return _path


def _clean(s):
    # ':' ends a field and ',' or '=' would split an argument
    return str(s).replace(":", "_").replace(",", "_").replace("\n", " ")


def _write(line):
    fd = _open()
    if fd < 0:
        return False
    try:
        os.write(fd, line.encode("utf-8", "replace"))
        return True
    except OSError:
        return False


def _args(kw):
    return ",".join("%s=%s" % (_clean(k).replace("=", "_"), _clean(v)) for k, v in kw.items())


def begin(tags, **args):
    """Begin span TAGS ("req" or "req.db") on this thread."""
    return _write(">:t:%s:%s:\n" % (_clean(tags), _args(args)))


def end(tags, **args):
    """End the latest open span TAGS of this thread; ARGS are added to it."""
    return _write("<:t:%s:%s:\n" % (_clean(tags), _args(args)))


def counter(name, value):
    """A value of counter NAME of this process (trace_marker only)."""
    return _write("C|%d|%s|%r\n" % (os.getpid(), str(name).replace("|", "_"), float(value)))


class span(contextlib.ContextDecorator):
    """A span as a context manager or a decorator: with span("db", query=q): ..."""

    def __init__(self, tags, **args):
        self.tags = tags
        self.args = args

    def __enter__(self):
        begin(self.tags, **self.args)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            end(self.tags, error=exc_type.__name__)
        else:
            end(self.tags)
        return False
