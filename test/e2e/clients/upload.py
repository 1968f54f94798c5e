#!/usr/bin/python3
"""HTTP file upload (XEP-0363) with slixmpp's xep_0363 plugin: alice
finds the upload service through service discovery, asks for a slot and
uploads the file given with --file over HTTP (aiohttp); the script
reports the download URL, which the test fetches."""
import os

import common
from common import Client


async def find_service(client):
    """The plugin's own discovery (find_upload_service) runs its disco#info
    queries through asyncio.wait on bare coroutines, which Python 3.11
    refuses (slixmpp 1.8.3); the same discovery, one query at a time:
    the domain's items, the one that is a store/file with the upload
    feature, and the size limit from its form."""
    items = await client["xep_0030"].get_items(jid=client.boundjid.domain, timeout=10)
    for jid, _, _ in items["disco_items"]["items"]:
        info = await client["xep_0030"].get_info(jid=jid, timeout=10)
        if ("store", "file") in [(c, t) for c, t, _, _ in info["disco_info"]["identities"]] and \
                "urn:xmpp:http:upload:0" in info["disco_info"]["features"]:
            client["xep_0363"].upload_service = jid
            for form in info["disco_info"].iterables:
                values = form["values"]
                if values.get("FORM_TYPE") == ["urn:xmpp:http:upload:0"]:
                    client["xep_0363"].max_file_size = int(values["max-file-size"])
            return
    raise common.ScenarioError("no upload service among the items of " + client.boundjid.domain)


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    alice.register_plugin("xep_0363")
    await alice.online()
    await find_service(alice)
    with open(opts.file, "rb") as f:
        url = await alice["xep_0363"].upload_file(
            os.path.basename(opts.file), size=os.path.getsize(opts.file),
            content_type=opts.content_type, input_file=f, timeout=10)
    alice.record("uploaded", url=url, service=str(alice["xep_0363"].upload_service),
                 max_size=str(alice["xep_0363"].max_file_size))
    await alice.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--file", required=True, help="the file to upload")
    p.add_argument("--content-type", default="application/octet-stream")
    common.run(scenario, p.parse_args())
