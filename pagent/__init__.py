"""pagent: the z/OS Policy Agent and AT-TLS, off the mainframe."""

__version__ = "0.1.0"
