"""PyJWT is imported without `cryptography` (docs/decisions/0008): the functions that only
check tokens do not pay for it at cold start, and HS256 tokens still work either way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*parts: str) -> str:
    code = "\n".join(textwrap.dedent(p) for p in parts)
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'shared' / 'python'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


ROUND_TRIP = """
    token = tokens.jwt.encode({"sub": "u"}, "k" * 32, algorithm="HS256")
    assert tokens.jwt.decode(token, "k" * 32, algorithms=["HS256"])["sub"] == "u"
"""


def test_checking_tokens_does_not_load_cryptography():
    got = _run(
        """
        import sys
        from lectern.auth import tokens
        """,
        ROUND_TRIP,
        """
        print("cryptography" in sys.modules, tokens.jwt.algorithms.has_crypto)
        """,
    )
    assert got == "False False"


def test_a_process_that_loaded_cryptography_first_still_signs_hs256():
    got = _run(
        """
        import sys
        import cryptography.hazmat.primitives.ciphers.aead
        from lectern.auth import tokens
        """,
        ROUND_TRIP,
        """
        print(tokens.jwt.algorithms.has_crypto)
        """,
    )
    assert got == "True"
