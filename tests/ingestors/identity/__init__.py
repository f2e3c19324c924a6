"""Tests of cross-source identity: one node per physical table, and the estate spanning every source."""
