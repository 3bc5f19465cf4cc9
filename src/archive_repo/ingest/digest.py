"""The content digest that recognises a submission sent twice, whatever its container.

SHA-256 over the sorted lines ``<sha256 of the file>  <path>`` of every file under the package (or bag)
root: the same package as a folder, as a ZIP or re-zipped gives the same digest. A submission that could
not be unpacked is identified by the SHA-256 of the file as received.
"""

from __future__ import annotations

import hashlib

from archive_repo.findings import Findings
from archive_repo.hashing import DigestCache, hash_file
from archive_repo.packages.inventory import scan
from archive_repo.packages.reader import Submission


def submission_digest(submission: Submission, digests: DigestCache) -> str:
    base = submission.bag_root or submission.package_root or submission.top
    if base is None:
        if submission.source.is_file():
            return hash_file(submission.source)[1]["sha256"]
        return hashlib.sha256(str(submission.source).encode()).hexdigest()
    inventory = scan(base, Findings(), "")
    manifest = hashlib.sha256()
    for relative in sorted(inventory.files):
        file_digest = digests.digest(inventory.absolute(relative)) or "unreadable"
        manifest.update(f"{file_digest}  {relative}\n".encode())
    return manifest.hexdigest()
