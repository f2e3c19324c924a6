"""Holds a local vector index folder open from another process until its stdin closes."""

import sys

from qdrant_client import QdrantClient


def main(folder: str) -> None:
    client = QdrantClient(path=folder)
    print("ready", flush=True)
    sys.stdin.read()
    client.close()


if __name__ == "__main__":
    main(sys.argv[1])
