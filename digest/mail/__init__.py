"""The mail edge, independent of the database: the Mailer protocol with `SmtpMailer` (pooled
connections) and `FileMailer` (previews) in `mailers`, MIME messages (`message`), DKIM signing
(`dkim`) and SMTP connections (`smtp`)."""

from digest.mail.mailers import Envelope, FileMailer, Mailer, SendResult, SmtpMailer

__all__ = ["Envelope", "FileMailer", "Mailer", "SendResult", "SmtpMailer"]
