"""Mail in tests: a real SMTP server on loopback, and the mail files of the default mailer.

`SmtpServer` is aiosmtpd in a process of its own (its asyncio thread does not mix with the
eventlet monkey patching of the test process), storing what it receives in a Maildir,
with a gate to hold mail in the middle of a run (`hold`, tests/smtp_gate.py):

    with SmtpServer() as smtp:
        mailer = Mailer({"SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port, ...})
        ...
        [message] = smtp.wait_for(lambda m: "2027-28" in m["Subject"])
"""
import mailbox
import socket
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

from scripts.sandbox import free_port

class SmtpServer:
    host = "127.0.0.1"

    def __init__(self, directory=None):
        """`directory`: where the Maildir goes (default: a temporary one, removed after)."""
        self.port = free_port()  # chosen now: a test may configure it before starting
        self._dir = None if directory else tempfile.TemporaryDirectory(prefix="test-smtp-")
        self.maildir = str(Path(directory or self._dir.name, "maildir"))  # made by the server
        self._process = None

    def __enter__(self):
        Path(self.maildir).parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", "{}:{}".format(self.host, self.port),
             "-c", "tests.smtp_gate.GatedMailbox", self.maildir],
            cwd=str(Path(__file__).resolve().parents[1]),
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
        if self._dir is not None:
            self._dir.cleanup()

    def messages(self):
        """Every message received so far (email.message.EmailMessage), oldest first."""
        if not Path(self.maildir, "new").exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        return [message_from_bytes(box.get_bytes(key), policy=policy.default)
                for key in sorted(box.keys())]

    def wait_for(self, predicate, count=1, timeout=20):
        return _wait_for(self.messages, predicate, count, timeout)

    def hold(self, addresses, passing=0):
        """Let `passing` more mails to these addresses through, then hold the next one (at
        RCPT TO, not taken) until `release`."""
        Path(self.maildir).parent.joinpath("hold").write_text(
            "\n".join([str(passing), *addresses]))

    def holding(self):
        """Whether a mail is being held."""
        return Path(self.maildir).parent.joinpath("held").exists()

    def release(self):
        Path(self.maildir).parent.joinpath("hold").unlink(missing_ok=True)
        Path(self.maildir).parent.joinpath("held").unlink(missing_ok=True)


def mail_files(data_dir):
    """The mail written to files under <data_dir>/mail (the default, without SMTP)."""
    folder = Path(data_dir) / "mail"
    return [message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(folder.glob("*.eml"))] if folder.exists() else []


def wait_for_mail_file(data_dir, predicate, count=1, timeout=20):
    return _wait_for(lambda: mail_files(data_dir), predicate, count, timeout)


def _wait_for(read, predicate, count, timeout):
    deadline = time.monotonic() + timeout
    while True:
        found = [message for message in read() if predicate(message)]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("{} of {} expected messages arrived within {}s".format(
                len(found), count, timeout))
        time.sleep(0.1)


def body_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def sent_to(address):
    return lambda message: address in str(message["To"])

