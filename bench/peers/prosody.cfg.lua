-- Prosody configuration for `make bench-compare` (scripts/bench-compare.sh
-- replaces @DIR@ and @PORT@). A fair comparison with Parley: plaintext
-- c2s on loopback, SASL PLAIN against clear-text stored passwords
-- (internal_plain, as in the reference figures of the performance
-- issue), no mod_limits, no s2s, epoll backend, data in @DIR@; rooms
-- (XEP-0045) on conference.localhost, temporary and unarchived.
daemonize = false
pidfile = "@DIR@/prosody.pid"
data_path = "@DIR@/data"
log = { warn = "@DIR@/prosody.log" }
network_backend = "epoll"

c2s_ports = { @PORT@ }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
http_ports = { }
https_ports = { }
component_ports = { }

authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false

modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence"; "message"; "iq" }
modules_disabled = { "s2s"; "offline"; "tls" }

VirtualHost "localhost"

-- `parley bench muc`: any user may create rooms; new rooms are locked
-- until their creator accepts the defaults (instant room), as in Parley.
Component "conference.localhost" "muc"
	restrict_room_creation = false
	muc_room_locking = true
	max_history_messages = 20
