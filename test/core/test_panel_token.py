"""The panel's control token: made private, refused when others can read it."""
import os
import stat

import pytest

from press_control.panel.token import TokenProblem, load_or_create_token, token_matches


def test_a_missing_token_file_is_made_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "sub" / "token"
    token = load_or_create_token(str(path))
    assert len(token) >= 16
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_token(str(path)) == token          # the same token next time


def test_a_token_others_can_read_or_an_empty_one_is_refused(tmp_path):
    path = tmp_path / "token"
    path.write_text("a-long-enough-secret-token\n")
    os.chmod(path, 0o644)
    with pytest.raises(TokenProblem, match="chmod 600"):
        load_or_create_token(str(path))
    path.write_text("short")
    os.chmod(path, 0o600)
    with pytest.raises(TokenProblem, match="16 characters"):
        load_or_create_token(str(path))


def test_only_the_exact_bearer_token_matches():
    assert token_matches("s3cret-token-value", "Bearer s3cret-token-value")
    assert token_matches("s3cret-token-value", "bearer s3cret-token-value")
    for header in ("", "Bearer", "Bearer s3cret", "Basic s3cret-token-value",
                   "Bearer s3cret-token-value-and-more"):
        assert not token_matches("s3cret-token-value", header)
    assert not token_matches("", "Bearer ")


def test_the_file_never_exists_without_its_token(tmp_path, monkeypatch):
    # The panel test read an empty token once: it waited for the file to exist, and the
    # file was created before the token was written into it.
    import secrets
    path = tmp_path / "panel" / "token"
    made = secrets.token_urlsafe

    def token_while_checking(length):
        assert not path.exists(), "the file exists before its token is written"
        return made(length)
    monkeypatch.setattr(secrets, "token_urlsafe", token_while_checking)
    token = load_or_create_token(str(path))
    assert path.read_text().strip() == token and len(token) >= 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["token"]          # no draft left behind
