package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/webhook"
)

func withWebhook(url string) string {
	return strings.TrimSuffix(validBody, "}") + `,"webhook_url":` + url + `}`
}

// TestSubmitWebhookURL: webhook_url is accepted on submission when the
// policy allows it (and shown on the job), refused with a 422 naming it
// otherwise.
func TestSubmitWebhookURL(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, f *fixture) {
		d.Jobs.WithWebhooks(webhook.Policy{AllowPrivate: true, Allowlist: webhook.Allowlist{{Host: "127.0.0.1", Port: "9000"}}})
	})
	for _, ok := range []string{`"https://hooks.example.com/dfs?token=x"`, `"http://127.0.0.1:9000/hook"`, `null`, `""`} {
		w := f.do(http.MethodPost, "/v1/optimize", admin, strings.NewReader(withWebhook(ok)))
		if w.Code != http.StatusAccepted {
			t.Fatalf("%s: %d %s", ok, w.Code, w.Body)
		}
		var j jobstore.Job
		_ = json.Unmarshal(w.Body.Bytes(), &j)
		if (ok == `null` || ok == `""`) != (j.Webhook == nil) {
			t.Fatalf("%s: webhook %+v", ok, j.Webhook)
		}
		if j.Webhook != nil && (j.Webhook.URL != strings.Trim(ok, `"`) || j.Webhook.Deliveries == nil) {
			t.Fatalf("%s: webhook %+v", ok, j.Webhook)
		}
	}
	for _, bad := range []string{`"http://hooks.example.com/x"`, `"https://10.0.0.1/x"`, `"https://[::ffff:127.0.0.1]/"`,
		`"http://127.0.0.1:9001/"`, `"https://localhost/"`, `"https://2130706433/"`, `"ftp://x/"`, `"/relative"`,
		`"https://h.example.com/` + strings.Repeat("a", 2100) + `"`} {
		w := f.do(http.MethodPost, "/v1/optimize", admin, strings.NewReader(withWebhook(bad)))
		b := decodeError(t, w)
		if w.Code != http.StatusUnprocessableEntity || len(b.Error.Details) != 1 || b.Error.Details[0].Field != "webhook_url" {
			t.Errorf("%.60s: %d %s", bad, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "10.0.0.1") && strings.Contains(bad, "10.0.0.1") {
			t.Errorf("the error repeats the URL: %s", w.Body)
		}
	}
}

func TestWebhookSecretRoutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, writer, _ := f.keys.Create(ctx, "writer", "", []string{auth.ScopeJobsRead, auth.ScopeJobsWrite})
	_, reader, _ := f.keys.Create(ctx, "reader", "", []string{auth.ScopeJobsRead})
	get := func(key string) (int, string) {
		w := f.do(http.MethodGet, "/v1/webhook-secret", key, nil)
		var b webhookSecretBody
		_ = json.Unmarshal(w.Body.Bytes(), &b)
		return w.Code, b.Secret
	}
	st, first := get(writer)
	if st != http.StatusOK || !strings.HasPrefix(first, webhook.SecretPrefix) {
		t.Fatalf("first GET: %d %q", st, first)
	}
	if st, again := get(writer); st != http.StatusOK || again != first {
		t.Fatalf("second GET: %d, same secret %v", st, again == first)
	}
	if st, adminSecret := get(admin); st != http.StatusOK || adminSecret == first {
		t.Fatalf("admin GET: %d (own secret wanted)", st)
	}
	if st, _ := get(reader); st != http.StatusForbidden {
		t.Fatalf("jobs:read only: %d", st)
	}
	if st, _ := get(""); st != http.StatusUnauthorized {
		t.Fatalf("no key: %d", st)
	}
	w := f.do(http.MethodPost, "/v1/webhook-secret", writer, nil)
	var rotated webhookSecretBody
	_ = json.Unmarshal(w.Body.Bytes(), &rotated)
	if w.Code != http.StatusOK || rotated.Secret == first || !strings.HasPrefix(rotated.Secret, webhook.SecretPrefix) {
		t.Fatalf("rotate: %d", w.Code)
	}
	if _, now := get(writer); now != rotated.Secret {
		t.Fatal("GET after rotation does not answer the new secret")
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	// Audit lines for the creation and the rotation; never the secret.
	log := f.audit.String()
	if !strings.Contains(log, "create webhook secret") || !strings.Contains(log, "POST /v1/webhook-secret") {
		t.Errorf("audit log lacks the secret's creation or rotation:\n%s", log)
	}
	for _, s := range []string{first, rotated.Secret, strings.TrimPrefix(first, webhook.SecretPrefix)} {
		if strings.Contains(log, s) {
			t.Fatal("the audit log shows a secret")
		}
	}
}
