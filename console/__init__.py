"""The MVS operator console of a pagent service (issue 4), interactive and scripted.

``pagent console`` reaches the service of a system root only through the control protocol
(docs/protocol.md). :mod:`console.session` connects to it, starting one when none runs;
:mod:`console.script` runs scripted sessions (``-c``, ``--script``, piped standard input);
:mod:`console.main` chooses between them and the interactive application
(:mod:`console.app`). Importing this package imports nothing else, so that a scripted
session starts without loading prompt-toolkit.
"""
