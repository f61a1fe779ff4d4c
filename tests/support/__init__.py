"""Test support that runs for real on this machine: the fault-injecting TCP proxy."""
