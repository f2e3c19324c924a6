"""Helpers shared by the tests: real services started for one session, fixture builders."""
