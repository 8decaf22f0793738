"""hashwall: match URLs and images against signed blocklists, in process.

Hashing (PDQ, PDQ-512, pHash, dHash, MD5, SHA-1, SHA-256) and matching run in
Rust with the GIL released; the batch functions (``hash_images``,
``Snapshot.check_urls``, ``Snapshot.check_images``) use every core and return
results in input order, with the exception instance in place of an item that
failed.

>>> import hashwall
>>> snap = hashwall.Snapshot.from_text("# issuer: demo\\ndomain evil.example\\n", allow_unsigned=True)
>>> snap.check_url("http://evil.example/a").action
'block'
"""

from ._hashwall import (
    ALGORITHMS,
    Engine,
    HashwallError,
    ImageError,
    ImageHash,
    InvalidEntryError,
    ListError,
    Match,
    Snapshot,
    UrlError,
    Verdict,
    distance,
    hash_file,
    hash_image,
    hash_images,
)

__all__ = [
    "ALGORITHMS",
    "Engine",
    "HashwallError",
    "ImageError",
    "ImageHash",
    "InvalidEntryError",
    "ListError",
    "Match",
    "Snapshot",
    "UrlError",
    "Verdict",
    "distance",
    "hash_file",
    "hash_image",
    "hash_images",
]


def _snapshot_from_sources(lists, trust, allow_unsigned, allow_expired):
    """Unpickles a Snapshot: verifies and compiles its lists again."""
    return Snapshot._from_sources(lists, trust, allow_unsigned, allow_expired)
