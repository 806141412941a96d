"""The security product (RACF) as AT-TLS needs it: certificates, key rings and FACILITY permits.

The store lives under the system root (docs/keyrings.md); RACDCERT, PERMIT, SETROPTS and
CONNECT act on it, and the TCP/IP stack's data path resolves the key rings that policies
name through :mod:`pagent.saf.material`.
"""
