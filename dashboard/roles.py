"""Who may do what: the roles, their permissions, and the rules for user names and passwords.

Plain Python, no Flask: the web gate (callbacks/access.py) and the command line (cli/users.py)
both ask here.
"""

from __future__ import annotations

import re

# Least to most trusted.
ROLES = ("viewer", "officer", "admin")

# A viewer sees aggregates; an officer also sees complaint detail with the reporter's personal data (for
# follow-up); an admin also manages users (from the command line: there is no web user admin).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_aggregates": frozenset({"viewer", "officer", "admin"}),
    "view_personal": frozenset({"officer", "admin"}),
    "manage_users": frozenset({"admin"}),
}

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
PASSWORD_MIN_CHARS = 10
# argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing the server anything.
PASSWORD_MAX_CHARS = 256


class CredentialError(ValueError):
    """A user name, role or password that the rules refuse; the message says why."""


def allowed(role: str | None, permission: str) -> bool:
    """Whether `role` has `permission`; an unknown role or permission (or a value of another type) has nothing."""
    if not isinstance(role, str) or not isinstance(permission, str):
        return False
    return role in PERMISSIONS.get(permission, frozenset())


def normalize_name(raw: str) -> str:
    """User names are case-insensitive: 'Budi' and 'budi ' are the same person."""
    return raw.strip().lower() if isinstance(raw, str) else ""


def check_name(raw: str) -> str:
    name = normalize_name(raw)
    if not NAME_RE.match(name):
        raise CredentialError(
            f"user name {raw!r} is not valid: 2 to 64 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_role(raw: str) -> str:
    if raw not in ROLES:
        raise CredentialError(f"role {raw!r} is not one of {', '.join(ROLES)}")
    return raw


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_CHARS:
        raise CredentialError(f"the password must have at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_MAX_CHARS:
        raise CredentialError(f"the password must have at most {PASSWORD_MAX_CHARS} characters")
    if password != password.strip():
        # almost always a pasted newline or space that the person will not type at the login form
        raise CredentialError("the password must not start or end with a space")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise CredentialError("the password must not hold control characters")
    return password
