-- prosody-migrator configuration: Prosody's internal storage -> XEP-0227 files.
local stores = { "accounts", "roster", "vcard", "private" }  -- "offline-archive": mod_storage_xep0227 in 0.12 has no offline handler
input {
	hosts = { ["prosody.test"] = stores };
	type = "internal";
	path = "/tmp/pie/prosody/data";
}
output {
	type = "xep0227";
	path = "/tmp/pie/prosody/export";
}
