"""Meaning: a local sentence-embedding model behind a small interface, and the stored sentence vectors of calls.

No Flask here; the package sits below bites (which tags by meaning) and search (which will search by it).
"""
