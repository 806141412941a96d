"""Stand-ins for the programs of the workshop "z/OS Connect EE security: MVS batch".

Two ordinary programs, built only on the Python standard library, that know nothing of
pagent or of TLS policy (they are the "unmodified applications" AT-TLS is applied to):

* :mod:`pagent.workshop.zconnect` — the z/OS Connect EE server (zCEE) on ports 9080
  (HTTP) and 9443 (HTTPS, mutual TLS), in front of the CICS file FILEA;
* :mod:`pagent.workshop.getapi` — the batch API requester client GETAPI (job USER1GET),
  which always speaks plain HTTP;
* :mod:`pagent.workshop.filea` — the FILEA records the CICS program reads.
"""
