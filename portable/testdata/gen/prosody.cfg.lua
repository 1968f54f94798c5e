-- Prosody instance used only to produce Parley's XEP-0227 fixtures.
run_as_root = true
daemonize = false
pidfile = "/tmp/pie/prosody/prosody.pid"
data_path = "/tmp/pie/prosody/data"
admins = {}
modules_enabled = { "roster", "saslauth", "disco", "vcard", "offline", "ping", "private" }
modules_disabled = { "s2s", "http", "tls" }
c2s_ports = { 25422 }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
log = { info = "/tmp/pie/prosody/prosody.log" }
VirtualHost "prosody.test"
