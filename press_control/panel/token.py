"""The panel's control token: a secret in a file only its owner may read.

Whoever can read the file may stop goals and reset the handshake from the panel. The file
is made (mode 0600) with a fresh random token when missing; one that others can read, or
that is empty, is refused and the panel stays read-only.
"""
import hmac
import os
import secrets
import stat
import tempfile


class TokenProblem(Exception):
    """The token file cannot be used; the panel runs read-only and says why."""


def load_or_create_token(path: str) -> str:
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        _create(path)
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenProblem(f"{path} can be read by others (mode {stat.S_IMODE(mode):o}); "
                           f"chmod 600 it to enable the panel's controls")
    with open(path) as stream:
        token = stream.read().strip()
    if len(token) < 16:
        raise TokenProblem(f"{path} holds no token of at least 16 characters")
    return token


def _create(path: str) -> None:
    """Make the file whole or not at all: whoever sees it exist can read the token."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    descriptor, draft = tempfile.mkstemp(dir=directory, prefix=".panel_token.")   # 0600
    try:
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(24) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass                      # made by another process a moment ago
    finally:
        os.unlink(draft)


def token_matches(expected: str, authorization: str) -> bool:
    """Whether an `Authorization: Bearer <token>` header carries the expected token."""
    scheme, _, given = (authorization or "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and \
        hmac.compare_digest(given.strip().encode(), expected.encode())
