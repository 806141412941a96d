"""The service: the process that runs one system image (stacks, syslogd, PAGENT)."""
