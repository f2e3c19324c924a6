"""Feedback on answers (a metric for a question, a synonym, a deprecation, a note) and its review by stewards."""
