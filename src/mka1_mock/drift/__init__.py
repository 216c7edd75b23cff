"""Drift: where the mock and another implementation of the contract differ, compared by shape."""
