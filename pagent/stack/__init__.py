"""The TCP/IP stack: PROFILE.TCPIP and OBEY members, the TTLS switch, the installed policy."""

from pagent.stack.displays import StackRow, display_tcpip
from pagent.stack.profile import (
    OtherStatement,
    Profile,
    ProfileProblem,
    ProfileStatement,
    TcpConfig,
    parse_profile,
    parse_profile_text,
    read_profile,
)
from pagent.stack.stack import DEFAULT_PROFILE, DEFAULT_RELEASE, Stack, TtlsState, obey_dataset

__all__ = [
    "DEFAULT_PROFILE",
    "DEFAULT_RELEASE",
    "OtherStatement",
    "Profile",
    "ProfileProblem",
    "ProfileStatement",
    "Stack",
    "StackRow",
    "TcpConfig",
    "TtlsState",
    "display_tcpip",
    "obey_dataset",
    "parse_profile",
    "parse_profile_text",
    "read_profile",
]
