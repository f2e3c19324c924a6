"""Governance: the policy (roles, scopes, limits, principals), authentication, rate limits and the audit log."""
