package config

import (
	"errors"
	"testing"
	"time"
)

func TestWebhookSettings(t *testing.T) {
	base := []string{"DFSOPT_REDIS_URL", "redis://localhost:6379/0"}
	w, err := LoadWorker(env(base...))
	if err != nil || w.Webhook.AllowPrivate || len(w.Webhook.Allowlist) != 0 ||
		w.Webhook.RetryBase != DefaultWebhookRetryBase || w.Webhook.Timeout != DefaultWebhookTimeout {
		t.Fatalf("defaults: %+v %v", w.Webhook, err)
	}
	g, err := LoadGateway(env(append(base, "DFSOPT_WEBHOOK_ALLOW_PRIVATE", "true", "DFSOPT_WEBHOOK_ALLOWLIST", "127.0.0.1:9000, hooks.internal",
		"DFSOPT_WEBHOOK_RETRY_BASE", "200ms", "DFSOPT_WEBHOOK_TIMEOUT", "3s")...))
	if err != nil || !g.Webhook.AllowPrivate || len(g.Webhook.Allowlist) != 2 || g.Webhook.RetryBase != 200*time.Millisecond || g.Webhook.Timeout != 3*time.Second {
		t.Fatalf("set: %+v %v", g.Webhook, err)
	}
	if p := g.Webhook.Policy(); !p.AllowPrivate || !p.Allowlist.Allows("127.0.0.1", "9000") || p.Allowlist.Allows("127.0.0.1", "9001") {
		t.Fatalf("policy %+v", p)
	}
	for _, c := range []struct{ name, value string }{
		{"DFSOPT_WEBHOOK_ALLOWLIST", "http://hooks.internal/x"},
		{"DFSOPT_WEBHOOK_ALLOWLIST", "host:0"},
		{"DFSOPT_WEBHOOK_ALLOW_PRIVATE", "yes please"},
		{"DFSOPT_WEBHOOK_ALLOW_PRIVATE", "true"}, // with no allow-list
		{"DFSOPT_WEBHOOK_RETRY_BASE", "1ms"},
		{"DFSOPT_WEBHOOK_RETRY_BASE", "soon"},
		{"DFSOPT_WEBHOOK_TIMEOUT", "1h"},
	} {
		_, err := LoadWorker(env(append(base, c.name, c.value)...))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != c.name {
			t.Errorf("%s=%s: %v", c.name, c.value, err)
		}
	}
}
