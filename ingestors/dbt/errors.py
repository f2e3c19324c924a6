"""Typed errors for dbt artifacts; each message is one line naming the file and what is wrong with it."""

from ingestors.common.errors import BadInputError


class DbtArtifactError(BadInputError):
    """A dbt artifact is missing, unreadable, malformed or of an unsupported version."""

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class ArtifactNotFoundError(DbtArtifactError):
    pass


class ArtifactFormatError(DbtArtifactError):
    """Not JSON (often a truncated file), or JSON of the wrong shape."""


class UnsupportedVersionError(DbtArtifactError):
    pass


class ManifestIntegrityError(DbtArtifactError):
    """The manifest contradicts itself, e.g. a node depends on a node it does not contain."""
