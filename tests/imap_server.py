"""A real IMAP server for the bounce tests: Debian's Dovecot, on 127.0.0.1, from a config file
written to a temporary folder (plain IMAP, and IMAP over TLS with a throw-away certificate).

Run as root (CI), Dovecot's own `dovecot`/`dovenull` users run its services and mail is
stored as `nobody` (Dovecot refuses mail access as root); as another user, everything runs
as that user. `bin/test` installs the `dovecot-imapd` package when it is missing.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp_server import free_port, write_self_signed

DH_PARAMS = Path("/usr/share/dovecot/dh.pem")
USERS = 100  # mailboxes one server hands out


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def self_signed(folder: Path) -> Path:
    """A certificate for 127.0.0.1 (and its key), for the TLS listener; returns the cert."""
    path = folder / "cert.pem"
    write_self_signed(path, folder / "key.pem")
    return path


class Dovecot:
    """`with Dovecot() as server:`; `server.new_box()` gives each test its own mailbox."""

    def __init__(self) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise FileNotFoundError("dovecot is not installed (Debian: dovecot-imapd)")
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
        self.dir.chmod(0o755)  # the mail user (nobody, when we are root) reaches mail/ in it
        self.port, self.tls_port = free_port(), free_port()
        self.cert = self_signed(self.dir)
        self.proc: subprocess.Popen[bytes] | None = None
        self._users = 0
        self._passwords: list[str] = []

    # ------------------------------------------------------------------ life

    def __enter__(self) -> Dovecot:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        mail = self.dir / "mail"
        mail.mkdir()
        # Users made up front: Dovecot may not notice a passwd file changed within a second.
        self._passwords = [secrets.token_urlsafe(12) for _ in range(USERS)]
        (self.dir / "passwd").write_text(
            "".join(f"bounces{n}:{{PLAIN}}{pw}\n" for n, pw in enumerate(self._passwords))
        )
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
            extra = ""
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            extra = f"default_internal_user = {mail_user.pw_name}\n" + (
                f"default_login_user = {mail_user.pw_name}\n"
            )
        group = grp.getgrgid(mail_user.pw_gid).gr_name
        dh = f"ssl_dh = <{DH_PARAMS}\n" if DH_PARAMS.is_file() else ""
        conf = self.dir / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
{extra}protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.dir}/key.pem
{dh}mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_name} gid={group} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        with open(self.dir / "stdout.log", "wb") as out:
            self.proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not start:\n{self.log()}")
            time.sleep(0.05)

    def _listening(self) -> bool:
        for port in (self.port, self.tls_port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        parts = []
        for name in ("stdout.log", "dovecot.log"):
            path = self.dir / name
            if path.is_file():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    # ------------------------------------------------------------------ mailboxes

    def new_box(self) -> ImapBox:
        """A user of its own, with an empty INBOX."""
        if self._users == USERS:
            raise RuntimeError(f"more than {USERS} mailboxes asked of one server")
        n, self._users = self._users, self._users + 1
        return ImapBox(self, f"bounces{n}", self._passwords[n])

    def tls_context(self) -> ssl.SSLContext:
        """What a client needs to trust this server's certificate (and check its address)."""
        return ssl.create_default_context(cafile=str(self.cert))


class ImapBox:
    def __init__(self, server: Dovecot, user: str, password: str) -> None:
        self.server, self.user, self.password = server, user, password

    def url(self, scheme: str = "imap", folder: str = "INBOX") -> str:
        port = self.server.tls_port if scheme == "imaps" else self.server.port
        return f"{scheme}://{self.user}:{self.password}@127.0.0.1:{port}/{folder}"

    def _connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.server.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message into the mailbox (as a mail server would)."""
        conn = self._connect()
        try:
            if folder != "INBOX":
                conn.create(f'"{folder}"')
            typ, data = conn.append(f'"{folder}"', None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """The flags of every message in the folder, in order (none is ever deleted)."""
        conn = self._connect()
        try:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            assert typ == "OK", data
            if int(data[0] or 0) == 0:
                return []
            typ, data = conn.fetch("1:*", "(FLAGS)")
            assert typ == "OK", data
            out = []
            for item in data:
                text = item.decode() if isinstance(item, bytes) else str(item)
                inner = text[text.index("FLAGS (") + 7 :]
                out.append(set(inner[: inner.index(")")].split()))
            return out
        finally:
            conn.logout()

    def unmark(self, folder: str = "INBOX") -> None:
        """Take our marks off every message, as if a run died before marking what it did."""
        conn = self._connect()
        try:
            conn.select(f'"{folder}"')
            typ, data = conn.store("1:*", "-FLAGS.SILENT", "($DigestProcessed \\Seen)")
            assert typ == "OK", data
        finally:
            conn.logout()
