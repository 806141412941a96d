"""The Network Configuration Assistant (issue 12): author AT-TLS policy in the NCA's terms.

A backing store (:mod:`pagent.nca.store`) holds system images, stacks, traffic descriptors,
security levels, requirement maps, address groups and connectivity rules
(:mod:`pagent.nca.model`); Install (:mod:`pagent.nca.install`) writes the policy file the NCA
writes (:mod:`pagent.nca.generate`), checked by the policy layer first. Import
(:mod:`pagent.nca.importer`) reads a policy back. The scripted command line is
:mod:`pagent.nca.cli`, the full-screen application :mod:`pagent.nca.app`. See docs/nca.md.

This package may use :mod:`pagent.policy` (to parse and check); nothing below it uses this one.
"""
