"""Outgoing mail: files under <DATA_DIR>/mail by default, SMTP when SMTP_HOST is set."""
import smtplib
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage

from nameko.extensions import DependencyProvider

from services.common.config import data_dir


class Mailer:
    def __init__(self, config):
        self.sender = config.get("MAIL_FROM") or "clep@example.org"
        self.smtp_host = config.get("SMTP_HOST")
        self.smtp_port = int(config.get("SMTP_PORT") or 25)
        self.smtp_user = config.get("SMTP_USER")
        self.smtp_password = config.get("SMTP_PASSWORD")
        self.mail_dir = data_dir(config) / "mail"

    def send(self, to, subject, body):
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to) if isinstance(to, (list, tuple)) else to
        message["Subject"] = subject
        message["Message-ID"] = "<{}@clep-portal>".format(uuid.uuid4())
        message.set_content(body)
        if self.smtp_host:
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=30) as smtp:
                if self.smtp_user:
                    smtp.starttls()
                    smtp.login(self.smtp_user, self.smtp_password or "")
                smtp.send_message(message)
        else:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            path = self.mail_dir / "{}-{}.eml".format(stamp, uuid.uuid4().hex[:8])
            path.write_bytes(bytes(message))
        return message


class MailerProvider(DependencyProvider):
    def setup(self):
        self.mailer = Mailer(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.mailer
