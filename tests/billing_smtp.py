"""A real SMTP server on loopback for billing's tests: aiosmtpd in its own process (asyncio and
eventlet's monkey patching do not mix in one process), storing what it receives in a
Maildir that the test reads.

    with SmtpSink(tmp_path / "smtp") as smtp:
        config = {"SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port, ...}
        ...
        smtp.wait_for(lambda message: message["To"] == "bills@example.org")
"""
import mailbox
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    def __init__(self, directory):
        self.directory = directory
        self.host = "127.0.0.1"
        self.port = _free_port()
        self._process = None

    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", "{}:{}".format(self.host, self.port),
             "-c", "aiosmtpd.handlers.Mailbox", str(self.directory / "maildir")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError("the test SMTP server did not start")
                time.sleep(0.05)

    def __exit__(self, *exc_info):
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def messages(self):
        path = self.directory / "maildir"
        if not (path / "new").exists():
            return []
        box = mailbox.Maildir(str(path), factory=None, create=False)
        return [message_from_bytes(box.get_bytes(key), policy=policy.default)
                for key in box.keys()]

    def wait_for(self, predicate, count=1, timeout=20, sleep=time.sleep):
        """The messages matching `predicate`, once at least `count` arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [message for message in self.messages() if predicate(message)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("{} of {} expected messages arrived within {}s".format(
                    len(found), count, timeout))
            sleep(0.1)
