-- Prosody configuration for developing and cross-checking the browser
-- tests (PARLEY_BROWSER_TARGET=prosody). Not part of Parley: Prosody
-- already speaks XMPP over WebSocket (mod_websocket) and BOSH (mod_bosh),
-- so the suite can be proven against a known-good server.
--
-- browser_test.go starts `prosody -F --config THIS_FILE` with:
--   PROSODY_DATA       a fresh data directory (accounts, pid file)
--   PROSODY_C2S_PORT   the client port on 127.0.0.1 (plaintext SCRAM allowed)
--   PROSODY_HTTP_PORT  the HTTP port on 127.0.0.1 (/xmpp-websocket, /http-bind)
-- and creates the accounts with `prosodyctl --config THIS_FILE register`.
-- (Prosody 0.12 reads ENV_NAME as the environment variable NAME.)
local data = ENV_PROSODY_DATA or "/tmp/parley-browser-prosody"

data_path = data
pidfile = data .. "/prosody.pid"
run_as_root = true
daemonize = false
log = { debug = "*console" }
certificates = data -- none: no TLS anywhere

interfaces = { "127.0.0.1" }
c2s_ports = { tonumber(ENV_PROSODY_C2S_PORT or "15222") }
c2s_direct_tls_ports = {}
s2s_ports = {}
component_ports = {}
http_interfaces = { "127.0.0.1" }
http_ports = { tonumber(ENV_PROSODY_HTTP_PORT or "15280") }
https_ports = {}

modules_enabled = {
	"roster"; "saslauth"; "disco"; "ping"; "version";
	"bosh"; "websocket";
}
modules_disabled = { "s2s"; "offline" }

authentication = "internal_hashed"
storage = "internal"

-- Loopback only and no certificate: SCRAM on plaintext TCP, ws:// and
-- http:// are accepted as they would be behind a TLS-terminating proxy.
c2s_require_encryption = false
allow_unencrypted_plain_auth = false
consider_websocket_secure = true
consider_bosh_secure = true

-- The test pages are served from another port (another origin).
http_cors_override = {
	bosh = { enabled = true };
	websocket = { enabled = true };
}

VirtualHost "localhost"
