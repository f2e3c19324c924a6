"""Governed change proposals: an agent drafts new SQL for a model, the server validates it and works out its
impact, people review it, and only an approved proposal is exported as a patch or a git branch."""
