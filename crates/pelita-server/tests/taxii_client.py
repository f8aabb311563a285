"""Pelita's TAXII 2.1 server through the OASIS reference client, taxii2-client.

Run by scripts/taxii-client-test.sh (which makes the venv) as
`taxii_client.py <discovery URL>` with the token in TAXII_TOKEN; prints
`RESULT <json>` for tests/taxii.rs to check.
"""

import json
import os
import sys

from requests.auth import AuthBase
from taxii2client.v21 import Server, as_pages


class Bearer(AuthBase):
    """Pelita's tokens are bearer tokens."""

    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.token
        return r


def main():
    url = sys.argv[1]
    auth = Bearer(os.environ["TAXII_TOKEN"])
    out = {}

    server = Server(url, auth=auth)
    out["title"] = server.title
    api = server.default or server.api_roots[0]
    out["api_root_versions"] = api.versions
    out["max_content_length"] = api.max_content_length
    collections = {c.id: c for c in api.collections}
    out["collections"] = sorted(collections)

    green = collections["tlp-green"]
    ids, pages = [], 0
    for envelope in as_pages(green.get_objects, per_request=3):
        pages += 1
        ids.extend(o["id"] for o in envelope.get("objects", []))
    out["pages"] = pages
    out["paged_objects"] = len(ids)
    out["distinct_paged_objects"] = len(set(ids))

    one = green.get_object(ids[0])
    out["got_object_matches"] = [o["id"] for o in one["objects"]] == [ids[0]]

    records = []
    for manifest in as_pages(green.get_manifest, per_request=5):
        records.extend(manifest.get("objects", []))
    out["manifest_records"] = len(records)

    inbox = collections["inbox"]
    new = ["198.51.100.250", "198.51.100.251"]
    envelope = {
        "objects": [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--0d6c6a1e-4a49-4f52-9d5c-7e3b1c2a5f%02d" % n,
                "created": "2025-06-01T00:00:00.000Z",
                "modified": "2025-06-01T00:00:00.000Z",
                "pattern": "[ipv4-addr:value = '%s']" % ip,
                "pattern_type": "stix",
                "valid_from": "2025-06-01T00:00:00Z",
            }
            for n, ip in enumerate(new)
        ]
    }
    status = inbox.add_objects(envelope, wait_for_completion=True, poll_interval=1, timeout=30)
    out["status"] = status.status
    out["status_total"] = status.total_count
    out["status_success"] = status.success_count
    again = api.get_status(status.id)
    out["status_again_matches"] = (again.status, again.total_count, again.success_count) == (
        status.status,
        status.total_count,
        status.success_count,
    )

    # Unmarked objects are AMBER: the submitter finds them in tlp-amber.
    patterns = set()
    for envelope in as_pages(collections["tlp-amber"].get_objects, per_request=50):
        patterns.update(o["pattern"] for o in envelope.get("objects", []))
    out["added_visible"] = all("[ipv4-addr:value = '%s']" % ip in patterns for ip in new)

    print("RESULT " + json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
