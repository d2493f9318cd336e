package config

import (
	"time"

	"github.com/dfsopt/dfsopt/pkg/webhook"
)

// Webhook holds the DFSOPT_WEBHOOK_* settings, shared by the gateway
// (which checks webhook_url at submission) and the worker (which delivers).
type Webhook struct {
	// AllowPrivate is DFSOPT_WEBHOOK_ALLOW_PRIVATE: private, loopback and
	// link-local targets are allowed, for hosts on the allow-list only.
	AllowPrivate bool
	// Allowlist is DFSOPT_WEBHOOK_ALLOWLIST: comma-separated hosts or
	// host:port entries that may be called over plain http and, with
	// AllowPrivate, at private addresses.
	Allowlist webhook.Allowlist
	// RetryBase is DFSOPT_WEBHOOK_RETRY_BASE: the delay before the first
	// retry of a failed delivery; later ones double, up to an hour, for at
	// most a day.
	RetryBase time.Duration
	// Timeout is DFSOPT_WEBHOOK_TIMEOUT: the bound of one delivery attempt
	// (connect, TLS, request, answer).
	Timeout time.Duration
}

// Defaults of the webhook settings.
const (
	DefaultWebhookRetryBase = webhook.DefaultRetryBase
	DefaultWebhookTimeout   = 10 * time.Second
)

// Policy returns the target policy of the settings.
func (w Webhook) Policy() webhook.Policy {
	return webhook.Policy{AllowPrivate: w.AllowPrivate, Allowlist: w.Allowlist}
}

func (p *parser) webhook() Webhook {
	w := Webhook{
		AllowPrivate: p.boolean("DFSOPT_WEBHOOK_ALLOW_PRIVATE", false),
		RetryBase:    p.duration("DFSOPT_WEBHOOK_RETRY_BASE", DefaultWebhookRetryBase, 10*time.Millisecond, 10*time.Minute),
		Timeout:      p.duration("DFSOPT_WEBHOOK_TIMEOUT", DefaultWebhookTimeout, 100*time.Millisecond, 2*time.Minute),
	}
	list, err := webhook.ParseAllowlist(p.str("DFSOPT_WEBHOOK_ALLOWLIST", ""))
	if err != nil {
		p.fail("DFSOPT_WEBHOOK_ALLOWLIST", "%v", err)
	}
	w.Allowlist = list
	if w.AllowPrivate && len(w.Allowlist) == 0 {
		p.fail("DFSOPT_WEBHOOK_ALLOW_PRIVATE", "is true but DFSOPT_WEBHOOK_ALLOWLIST is empty: private targets are allowed only for allow-listed hosts")
	}
	return w
}
