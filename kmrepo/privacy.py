"""What kmrepo keeps of a visitor: never an address, only a salted hash of it.

Used by access logging (docs/domain.md, "Accesses") and the audit log.
"""

from __future__ import annotations

import hashlib


def address_hash(address: str | None, salt: str) -> str:
    """A salted SHA-256 of a client address (hex, 64 characters); "" when unknown."""
    if not address:
        return ""
    return hashlib.sha256(f"{salt}:{address}".encode()).hexdigest()
