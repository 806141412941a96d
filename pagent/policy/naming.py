"""Python field names for z/OS keywords (``TLSv1.2`` -> ``tlsv1_2``)."""

from __future__ import annotations

import re

# Keywords whose mechanical conversion would not be a Python identifier or reads badly.
_SPECIAL = {
    "3DesKeyCheck": "triple_des_key_check",
    "FIPS140": "fips140",
    "V3CipherSuites4Char": "v3_cipher_suites_4char",
    "ClientECurves": "client_ecurves",
    "ServerKexECurves": "server_kex_ecurves",
}


def field_name(keyword: str) -> str:
    """Snake-case a statement or parameter keyword."""
    if keyword in _SPECIAL:
        return _SPECIAL[keyword]
    if keyword.upper() == keyword:  # GSK_V3_SESSION_TIMEOUT
        return keyword.lower()
    s = keyword.replace(".", "_")
    s = re.sub(r"^TTLS", "ttls_", s)
    s = re.sub(r"(SSL|TLS)v", lambda m: m.group(1).lower() + "v", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower().replace("__", "_")
    return s.strip("_")
