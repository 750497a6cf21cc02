"""The handler of the tests' SMTP server (tests/mail.py runs it in a process of its own):
a Maildir, with a gate that a test can close to stop mail in the middle of a run.

While the file `hold` next to the Maildir exists (first line: how many more mails to the
addresses on the following lines may pass), a further mail to one of those addresses waits
at RCPT TO, not taken, until the file is removed; the file `held` says one is waiting.
"""
import asyncio
from pathlib import Path

from aiosmtpd.handlers import Mailbox


class GatedMailbox(Mailbox):
    def __init__(self, mail_dir):
        super().__init__(mail_dir)
        self.hold_file = Path(mail_dir).parent / "hold"
        self.held_file = Path(mail_dir).parent / "held"
        self.passed = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold_file.exists():
            passing, *addresses = self.hold_file.read_text().split()
            if address in addresses:
                if self.passed < int(passing):
                    self.passed += 1
                else:
                    self.held_file.touch()
                    while self.hold_file.exists():
                        await asyncio.sleep(0.05)
        else:
            self.passed = 0
        envelope.rcpt_tos.append(address)
        return "250 OK"
