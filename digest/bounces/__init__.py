"""Bounces and complaints that arrive after sending: the bounce mailbox (`mailbox`: IMAP or
maildir), reading reports (`reports`: RFC 3464 DSNs, ARF abuse reports, other formats through
flufl.bounce), webhook events (`webhook`) and acting on them (`processing`, through
`digest.subscribers.lifecycle`)."""

from digest.bounces.mailbox import Mailbox, MailboxError, open_mailbox
from digest.bounces.processing import Limits, process_events, process_mailbox, read_bounces
from digest.bounces.reports import Report, read_report
from digest.bounces.webhook import Event, WebhookError, parse_events, signature, verify

__all__ = [
    "Event",
    "Limits",
    "Mailbox",
    "MailboxError",
    "Report",
    "WebhookError",
    "open_mailbox",
    "parse_events",
    "process_events",
    "process_mailbox",
    "read_bounces",
    "read_report",
    "signature",
    "verify",
]
