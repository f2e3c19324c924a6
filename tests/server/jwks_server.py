"""A real JWKS served over HTTP on loopback, and the keys to sign test tokens with."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://idp.example.test/"
AUDIENCE = "datagraph"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        return RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True) | {
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
        }

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


def claims(sub: str = "ann@example.test", *, lifetime: int = 300, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + lifetime} | extra


@dataclass
class Jwks:
    url: str
    keys: list[SigningKey]
    fetches: list[float]


@contextmanager
def serve_jwks(keys: list[SigningKey]) -> Iterator[Jwks]:
    fetches: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            fetches.append(time.time())
            body = json.dumps({"keys": [k.jwk() for k in keys]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Jwks(url=f"http://127.0.0.1:{server.server_address[1]}/jwks.json", keys=keys, fetches=fetches)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
