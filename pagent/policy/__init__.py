"""The AT-TLS policy language: grammar, model, validation, matching and rendering.

This layer is pure: it reads files and nothing else (no sockets, no clocks, no threads).
"""
