"""Who is calling: a name, the role the policy gives them, and how they reached the server."""

import getpass
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AuthMethod = Literal["local", "bearer", "jwt"]


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=256)
    role: str
    auth: AuthMethod = "local"


# Who a call is recorded as when no principal could be established.
ANONYMOUS = Principal(name="anonymous", role="none", auth="local")


PRINCIPAL_ENV = "DATAGRAPH_PRINCIPAL"


def local_principal_name(explicit: str | None = None) -> str:
    """Who a local caller (stdio, CLI) is: --principal, else DATAGRAPH_PRINCIPAL, else the operating-system user."""
    return explicit or os.environ.get(PRINCIPAL_ENV) or getpass.getuser()
