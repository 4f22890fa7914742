"""A throw-away OpenLDAP server (Debian's slapd) with a small tree, for the LDAP tests.

People: hana.helpdesk (helpdesk), audrey.auditor (auditor), alice.wong (desktop users),
carl.both (helpdesk and auditor), nina.nogroup (no role group) and dan.disabled (desktop
users, but disabled: employeeType=disabled, which LDAP_USER_FILTER excludes, as an Active
Directory filter on userAccountControl does). Each person's password is "pw-<uid>".
"""

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ldap

SUFFIX = "dc=example,dc=org"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
READER_DN, READER_PASSWORD = f"cn=reader,{SUFFIX}", "reader-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
HELPDESK_GROUP = f"cn=helpdesk,{GROUPS}"
AUDITOR_GROUP = f"cn=auditors,{GROUPS}"
END_USER_GROUP = f"cn=desktop-users,{GROUPS}"
USER_FILTER = "(&(uid=%(user)s)(!(employeeType=disabled)))"

PEOPLE_AND_GROUPS = {
    "hana.helpdesk": [HELPDESK_GROUP],
    "audrey.auditor": [AUDITOR_GROUP],
    "alice.wong": [END_USER_GROUP],
    "carl.both": [HELPDESK_GROUP, AUDITOR_GROUP],
    "nina.nogroup": [],
    "dan.disabled": [END_USER_GROUP],
}

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"

_CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by dn.exact="{reader_dn}" read
    by self read
    by * none
"""


def dn_of(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def _tree() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: reader\nuserPassword: {READER_PASSWORD}",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
    ]
    for uid in PEOPLE_AND_GROUPS:
        given, family = (part.capitalize() for part in uid.split("."))
        disabled = "\nemployeeType: disabled" if uid == "dan.disabled" else ""
        entries.append(
            f"dn: {dn_of(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {family}\n"
            f"givenName: {given}\nsn: {family}\nmail: {uid}@example.org\n"
            f"userPassword: pw-{uid}{disabled}"
        )
    for group in (HELPDESK_GROUP, AUDITOR_GROUP, END_USER_GROUP):
        members = [dn_of(uid) for uid, groups in PEOPLE_AND_GROUPS.items() if group in groups]
        lines = "".join(f"\nmember: {member}" for member in members)
        entries.append(
            f"dn: {group}\nobjectClass: groupOfNames\ncn: {group[3:].split(',')[0]}{lines}"
        )
    return "\n\n".join(entries) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Slapd:
    uri: str

    def admin(self) -> "ldap.ldapobject.LDAPObject":
        connection = ldap.initialize(self.uri)
        connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return connection

    def remove_member(self, group: str, uid: str) -> None:
        self.admin().modify_s(group, [(ldap.MOD_DELETE, "member", [dn_of(uid).encode()])])

    def add_member(self, group: str, uid: str) -> None:
        self.admin().modify_s(group, [(ldap.MOD_ADD, "member", [dn_of(uid).encode()])])

    def set_attribute(self, uid: str, name: str, value: str | None) -> None:
        change = (ldap.MOD_REPLACE, name, [value.encode()] if value else None)
        self.admin().modify_s(dn_of(uid), [change])


@contextlib.contextmanager
def running_slapd() -> Iterator[Slapd]:
    """Start slapd on a free loopback port with a fresh tree; stop it and remove its files."""
    with tempfile.TemporaryDirectory(prefix="slapd-") as tmp:
        directory = Path(tmp)
        (directory / "data").mkdir()
        config = directory / "slapd.conf"
        config.write_text(
            _CONFIG.format(
                dir=directory,
                suffix=SUFFIX,
                root_dn=ROOT_DN,
                root_password=ROOT_PASSWORD,
                reader_dn=READER_DN,
            )
        )
        (directory / "tree.ldif").write_text(_tree())
        subprocess.run(
            [SLAPADD, "-f", str(config), "-l", str(directory / "tree.ldif")],
            check=True,
            capture_output=True,
        )
        port = free_port()
        uri = f"ldap://127.0.0.1:{port}"
        process = subprocess.Popen(
            [SLAPD, "-f", str(config), "-h", uri + "/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_until_answering(uri, process)
            yield Slapd(uri=uri)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_answering(uri: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited: {process.stderr.read().decode()[-2000:]}")
        try:
            connection = ldap.initialize(uri)
            connection.simple_bind_s(READER_DN, READER_PASSWORD)
            return
        except ldap.SERVER_DOWN:
            time.sleep(0.05)
    raise RuntimeError("slapd did not answer within 10 seconds")
