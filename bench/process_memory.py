"""Memory of the system's processes, from /proc/<pid>/status (Linux)."""
import threading
import time


def status_kb(pid, field):
    """A /proc/<pid>/status figure in kB: VmRSS (resident now), VmHWM (peak resident)."""
    with open("/proc/{}/status".format(pid)) as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no {} for process {}".format(field, pid))


class RssGrowth:
    """How far a process's resident size rises above where it started, sampled every
    millisecond while the `with` block runs: `.growth_mb` afterwards."""

    def __init__(self, pid):
        self.pid = pid
        self.start_kb = self.peak_kb = 0
        self._running = False

    def __enter__(self):
        self.start_kb = self.peak_kb = status_kb(self.pid, "VmRSS")
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            time.sleep(0.001)

    def __exit__(self, *exc_info):
        self._running = False
        self._thread.join()
        self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    @property
    def growth_mb(self):
        return (self.peak_kb - self.start_kb) / 1024
