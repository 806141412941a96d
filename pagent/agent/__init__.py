"""The PAGENT started task: configuration chain, install into the stacks, refresh, purge."""

from pagent.agent.loglevel import LogLevel
from pagent.agent.task import Output, PolicyAgent, StackPort

__all__ = ["LogLevel", "Output", "PolicyAgent", "StackPort"]
