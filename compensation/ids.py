"""Time-ordered UUIDs (the UUIDv7 layout: 48 bits of Unix milliseconds, then random bits).

Still unguessable enough for references that are never secrets (74 random bits), and new ids
land at the right edge of their unique index instead of on a random page: at hundreds of
millions of awards that is most of the cost of the index. PostgreSQL has the same function
(uuid_v7(), created by compensation's migration 0005) for set-based inserts."""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)
