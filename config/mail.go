package config

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
)

// Mail configures outgoing e-mail (conference invitations) through an
// SMTP relay. Without a relay nothing is sent, and scheduling with
// sendEmailNotification answers ERROR_SENDING_EMAIL_INVITES.
type Mail struct {
	Relay    string `toml:"relay"`    // host:port of the SMTP relay; "" sends nothing
	From     string `toml:"from"`     // sender address; "" for parley@<first host>
	Username string `toml:"username"` // SMTP AUTH user; "" to send without authenticating
	Password string `toml:"password"`
	// TLS is how the connection is protected: starttls (required),
	// tls (implicit, port 465) or none (a relay on loopback only).
	TLS     string   `toml:"tls"`
	CAFile  string   `toml:"ca_file"` // PEM certificates to trust for the relay instead of the system's
	Timeout Duration `toml:"timeout"` // per connection and command
}

func defaultMail() Mail {
	return Mail{TLS: "starttls", Timeout: Duration{30 * 1e9}}
}

func (m *Mail) validate(v *validator) {
	if m.Relay != "" {
		host, port, err := net.SplitHostPort(m.Relay)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			v.add("mail.relay", fmt.Sprintf("%q is not host:port", m.Relay))
		}
	}
	if m.From != "" {
		if _, err := mail.ParseAddress(m.From); err != nil {
			v.add("mail.from", fmt.Sprintf("%q is not an e-mail address", m.From))
		}
	}
	switch m.TLS {
	case "starttls", "tls", "none":
	default:
		v.add("mail.tls", fmt.Sprintf("%q is not a mode (use starttls, tls or none)", m.TLS))
	}
	v.positiveDuration("mail.timeout", m.Timeout)
}

// MailFrom is mail.from, or parley@<first host>.
func (c Config) MailFrom() string {
	if c.Mail.From != "" {
		return c.Mail.From
	}
	host := "localhost"
	if len(c.Hosts) > 0 {
		host = c.Hosts[0]
	}
	return "Parley <parley@" + host + ">"
}
