-- Prosody configuration for `make bench-compare` (scripts/bench-compare.sh
-- replaces @DIR@ and @PORT@). A fair comparison with Parley: plaintext
-- c2s on loopback, SASL PLAIN against clear-text stored passwords
-- (internal_plain, as in the reference figures of the performance
-- issue), no mod_limits, no s2s, epoll backend, data in @DIR@; rooms
-- (XEP-0045) on conference.localhost, temporary and unarchived.
-- Message archive (XEP-0313) on, as Parley's default: mod_mam archives
-- every one-to-one message (default_archive_policy) in Prosody's default
-- archive store (internal: files under data_path). On SQLite through
-- mod_storage_sql (storage = { archive = "sql" }, lua-dbi-sqlite3) it
-- delivered under 10 messages/s at a 500/s step on this VM: every
-- archived message waits for a synchronous commit on Prosody's only
-- thread.
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
default_archive_policy = true
archive_expires_after = "1w"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false

modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence"; "message"; "iq"; "mam" }
modules_disabled = { "s2s"; "offline"; "tls" }

VirtualHost "localhost"

-- `parley bench muc`: any user may create rooms; new rooms are locked
-- until their creator accepts the defaults (instant room), as in Parley.
Component "conference.localhost" "muc"
	restrict_room_creation = false
	muc_room_locking = true
	max_history_messages = 20
