"""The test suite, a package so tests and bench/ import `tests.support`."""
