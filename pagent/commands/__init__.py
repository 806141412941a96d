"""The offline commands (check, search, match): argument values in, text or JSON out."""
