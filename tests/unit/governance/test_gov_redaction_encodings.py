"""Step output redaction masks each secret, its base64 and hex forms, and base64 text that embeds it."""

from __future__ import annotations

import base64

import pytest

from engine.runbooks.redact import MASK, Redactor

# Secrets whose base64 contains '+' and '/' (so standard and URL-safe differ), padded 0, 1 and 2.
SECRETS = ["topsecret-value", "\xfb\xff\xfe-key>>?~", "pa55w0rd!#", "s3cr3t-with-üñí"]


def _forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    std, url = base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()
    return {"plain": secret, "b64": std, "b64-nopad": std.rstrip("="), "b64url": url,
            "b64url-nopad": url.rstrip("="), "hex": raw.hex(), "HEX": raw.hex().upper()}


@pytest.mark.parametrize("secret", SECRETS)
def test_each_encoding_is_masked_in_surrounding_text(secret):
    r = Redactor([secret])
    for name, form in _forms(secret).items():
        out = r.redact(f"before {form} after")
        assert form not in out and MASK in out, name
        assert out.startswith("before ") and out.endswith(" after"), name


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("prefix", [b"", b"u:", b"us:", b"user:", b"x" * 10])
def test_a_secret_inside_a_longer_base64_value_is_masked(secret, prefix):
    # e.g. `Authorization: Basic base64(user:secret)`, at each alignment within a 3-byte group.
    r = Redactor([secret])
    raw = secret.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        blob = encode(prefix + raw + b"-tail").decode()
        out = r.redact(blob)
        assert out.count(MASK) == 1, (prefix, encode, out)
        a = out.index(MASK)
        b = len(blob) - (len(out) - a - len(MASK))  # blob[a:b] was masked
        # The characters carrying the secret's bits span [first, last); at most the one character
        # at each end that mixes in neighbouring bytes may stay visible.
        first, last = 8 * len(prefix) // 6, -(-8 * (len(prefix) + len(raw)) // 6)
        assert first <= a <= first + 1 and last - 1 <= b <= last, (prefix, encode, out)


def test_short_values_and_unrelated_text_are_left_alone():
    r = Redactor(["abc", "topsecret-value"])
    text = "abc is a word; dG9w is not a secret; 0123456789abcdef neither"
    assert r.redact(text) == text
