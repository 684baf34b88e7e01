"""API keys: named, stored hashed, revocable without a restart.

The keys file (API_KEYS_FILE, default data/api_keys.json) holds, per name, the
SHA-256 of the key, when it was created and when (if) it was revoked. The key
itself is printed once by `python -m personalization_api keys add NAME` and
stored nowhere. A key is 32 random bytes (256 bits), so a fast hash is enough:
nobody can guess a preimage, and there is no password to stretch.

Each key has a scope: `full` (the default; every route, from a header only) or
`feed` (`keys add NAME --scope feed`: only the non-personal routes, from a
header or `?api_key=`, for a Klaviyo web feed whose URL carries the key). An
entry without a scope (a keys file from before scopes) is `full`.

The server re-reads the file when it changes, so `keys revoke NAME` takes
effect within one reload interval. A malformed entry is skipped with a log line
naming the key (never its hash); the other keys still load.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KEY_PREFIX = "pak_"
MAX_KEY_LENGTH = 128
SCOPES = ("full", "feed")
DEFAULT_SCOPE = "full"

log = logging.getLogger("personalization_api")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def read_keys_file(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {"version": 1, "keys": {}}
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise ValueError(f"{path}: not an API keys file")
    return data


def write_keys_file(path: Path, data: dict) -> None:
    """Write beside and rename over, readable by the owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(partial, path)


def add_key(path: Path, name: str, scope: str = DEFAULT_SCOPE) -> str:
    """Create key NAME with SCOPE and return it (the only time it is ever shown)."""
    if scope not in SCOPES:
        raise ValueError(f"a key's scope is one of {', '.join(SCOPES)}")
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "-_." for ch in name):
        raise ValueError("a key name is 1-64 letters, digits, '-', '_' or '.'")
    data = read_keys_file(path)
    existing = data["keys"].get(name)
    if isinstance(existing, dict) and not existing.get("revoked_at"):
        raise ValueError(f"key {name!r} exists and is active: revoke it first")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    data["keys"][name] = {"sha256": hash_key(key), "scope": scope, "created_at": _now(), "revoked_at": None}
    write_keys_file(path, data)
    return key


def revoke_key(path: Path, name: str) -> None:
    data = read_keys_file(path)
    entry = data["keys"].get(name)
    if entry is None:
        raise ValueError(f"no key named {name!r}")
    if not isinstance(entry, dict):
        raise ValueError(f"key {name!r} is malformed in {path}: fix or remove it by hand")
    if not entry.get("revoked_at"):
        entry["revoked_at"] = _now()
        write_keys_file(path, data)


def list_keys(path: Path) -> list[dict]:
    data = read_keys_file(path)
    listed = []
    for name, entry in sorted(data["keys"].items()):
        problem = entry_problem(entry)
        if problem:
            listed.append({"name": name, "scope": None, "created_at": None, "revoked_at": None, "problem": problem})
            continue
        listed.append(
            {
                "name": name,
                "scope": entry.get("scope") or DEFAULT_SCOPE,
                "created_at": entry.get("created_at"),
                "revoked_at": entry.get("revoked_at"),
                "problem": None,
            }
        )
    return listed


def entry_problem(entry) -> str | None:
    """Why a keys-file entry cannot be used (never quoting its hash), or None."""
    if not isinstance(entry, dict):
        return "not an object"
    digest = entry.get("sha256")
    if not isinstance(digest, str) or len(digest) != 64:
        return "sha256 is not a 64-character hex digest"
    try:
        bytes.fromhex(digest)
    except ValueError:
        return "sha256 is not a 64-character hex digest"
    scope = entry.get("scope")
    if scope is not None and scope not in SCOPES:
        return f"scope is not one of {', '.join(SCOPES)}"
    return None


@dataclass(frozen=True)
class ActiveKeys:
    entries: tuple  # (sha256 bytes, name, scope)

    def identify(self, key: str | None) -> tuple[str, str] | None:
        """(name, scope) of the active key, or None. Compares every stored hash in constant time."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        found = None
        for stored, name, scope in self.entries:
            if hmac.compare_digest(stored, digest):
                found = (name, scope)
        return found

    def verify(self, key: str | None) -> str | None:
        """The name of the active key, or None."""
        found = self.identify(key)
        return found[0] if found else None


class KeyStore:
    """The active keys of a keys file, re-read when the file changes (see refresh)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.signature = None
        self.keys = ActiveKeys(())
        self.refresh()

    def refresh(self) -> bool:
        """Re-read the file if it changed; True when the active set was replaced. A broken file keeps the old set."""
        try:
            st = os.stat(self.path)
            signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
        if signature == self.signature:
            return False
        data = read_keys_file(self.path) if signature is not None else {"keys": {}}
        entries = []
        for name, entry in data["keys"].items():
            problem = entry_problem(entry)
            if problem:
                log.error("API key %r in %s is malformed (%s): skipped", name, self.path, problem)
                continue
            if not entry.get("revoked_at"):
                entries.append((bytes.fromhex(entry["sha256"]), name, entry.get("scope") or DEFAULT_SCOPE))
        self.keys = ActiveKeys(tuple(entries))
        self.signature = signature
        return True

    def verify(self, key: str | None) -> str | None:
        return self.keys.verify(key)

    def identify(self, key: str | None) -> tuple[str, str] | None:
        return self.keys.identify(key)
