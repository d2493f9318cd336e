package task

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func TestStandardRegistry(t *testing.T) {
	r := Standard(job.Services{})
	k, ok := r.Lookup(TypeOptimize)
	if !ok || k.Path != "/v1/optimize" || k.DefaultQueue != QueueDefault || k.MaxTimeout < k.DefaultTimeout {
		t.Fatalf("optimize kind: %+v", k)
	}
	if _, ok := r.Lookup("nope"); ok {
		t.Fatal("unknown type found")
	}
}

func TestNewRegistryRejects(t *testing.T) {
	kinds, err := job.NewRegistry(job.Kind{Type: "x", Path: "/v1/x",
		Decode: func([]byte) (*job.Request, error) { return nil, nil },
		Run:    func(context.Context, *job.Request, job.Progress) (any, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ok := Limits{DefaultQueue: QueueLow, DefaultTimeout: time.Second, MaxTimeout: time.Second}
	bad := []func(l *Limits){
		func(l *Limits) { l.DefaultTimeout = 0 },
		func(l *Limits) { l.MaxTimeout = time.Millisecond },
		func(l *Limits) { l.DefaultQueue = "bulk" },
		func(l *Limits) { l.MaxRetry = -1 },
	}
	for i, f := range bad {
		l := ok
		f(&l)
		if _, err := NewRegistry(kinds, map[string]Limits{"x": l}); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	if _, err := NewRegistry(kinds, map[string]Limits{}); err == nil {
		t.Error("a kind without limits accepted")
	}
	if _, err := NewRegistry(kinds, map[string]Limits{"x": ok, "y": ok}); err == nil {
		t.Error("limits without a kind accepted")
	}
	if _, err := NewRegistry(kinds, map[string]Limits{"x": ok}); err != nil {
		t.Error(err)
	}
}

func TestDecodeQueueTimeoutAndTask(t *testing.T) {
	k, _ := Standard(job.Services{}).Lookup(TypeOptimize)
	body, err := os.ReadFile("testdata/optimize-min.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := k.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if k.Queue(req, time.Now()) != QueueCritical || k.Timeout(req) != 30*time.Second {
		t.Fatalf("queue %s timeout %s", k.Queue(req, time.Now()), k.Timeout(req))
	}
	if _, ok := req.Doc.(*schema.OptimizeRequest); !ok {
		t.Fatalf("doc is %T", req.Doc)
	}
	req.Options = schema.JobOptions{}
	if k.Queue(req, time.Now()) != QueueDefault || k.Timeout(req) != k.DefaultTimeout {
		t.Fatal("defaults not applied")
	}
	req.Options.TimeoutSeconds = 1 << 20
	if k.Timeout(req) != k.MaxTimeout {
		t.Fatal("timeout not capped")
	}
	p := &Payload{JobID: "job_1", Request: body, Principal: "alice", RequestID: "r1"}
	tk, err := k.NewTask(p, req, k.Queue(req, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePayload(tk.Payload())
	if err != nil || got.JobID != "job_1" || got.Principal != "alice" || got.RequestID != "r1" {
		t.Fatalf("payload: %+v %v", got, err)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(tk.Payload(), &raw)
	for _, f := range []string{"job_id", "request", "principal", "request_id"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("payload lacks %q", f)
		}
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	k, _ := Standard(job.Services{}).Lookup(TypeOptimize)
	const players = `[{"id":"1","name":"A","positions":["PG"],"team":"X","salary":5000,"projection":30}]`
	cases := []struct{ body, field string }{
		{`{"site":"draftkings","sport":"nba","lineups":1,"players":[],"bogus":1}`, "bogus"},
		{`{"site":"draftkings","sport":"nba","lineups":"x"}`, "lineups"},
		{`{"site":"draftkings","sport":"nba","lineups":0,"players":` + players + `}`, "lineups"},
		{`{"site":"mars","sport":"nba","lineups":1,"players":` + players + `}`, "site"},
		{`{"site":"draftkings","sport":"nba","lineups":1,"players":` + players + `,"slate_id":"s"}`, "slate_id"},
		// A webhook_url must be an absolute http(s) URL (the target
		// policy is the gateway's: pkg/webhook).
		{`{"site":"draftkings","sport":"nba","lineups":1,"players":` + players + `,"webhook_url":"ftp://example.test/hook"}`, "webhook_url"},
		{`{"site":"draftkings","sport":"nba","lineups":1,"players":` + players + `,"webhook_url":"/hook"}`, "webhook_url"},
	}
	for _, c := range cases {
		_, err := k.Decode([]byte(c.body))
		var ve *schema.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: %v", c.body, err)
		}
		found := false
		for _, fe := range ve.Errors {
			found = found || fe.Field == c.field
		}
		if !found {
			t.Errorf("%s: %+v does not name %s", c.body, ve.Errors, c.field)
		}
	}
}

// TestWebhookURLAccepted: every job kind accepts a webhook_url (webhooks
// are delivered), and the decoded request carries it.
func TestWebhookURLAccepted(t *testing.T) {
	k, _ := Standard(job.Services{}).Lookup(TypeOptimize)
	const players = `[{"id":"1","name":"A","positions":["PG"],"team":"X","salary":5000,"projection":30}]`
	body := `{"site":"draftkings","sport":"nba","lineups":1,"players":` + players + `,"webhook_url":"https://example.test/hook?t=1"}`
	r, err := k.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.WebhookURL == nil || *r.Options.WebhookURL != "https://example.test/hook?t=1" {
		t.Fatalf("options %+v", r.Options)
	}
}

func TestWebhookTask(t *testing.T) {
	p := &WebhookPayload{EventID: WebhookEventID("job_1"), JobID: "job_1", Principal: "key_1", URL: "https://h/x", Body: []byte(`{"id":"job_1"}`), FirstDispatch: 1}
	tk, err := NewWebhookTask(p, 32, 10*time.Second)
	if err != nil || tk.Type() != TypeWebhook {
		t.Fatalf("%v %v", tk, err)
	}
	got, err := DecodeWebhookPayload(tk.Payload())
	if err != nil || got.EventID != "msg_job_1" || string(got.Body) != `{"id":"job_1"}` {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := DecodeWebhookPayload([]byte(`{"job_id":"job_1"}`)); err == nil {
		t.Fatal("incomplete payload accepted")
	}
}

func TestDecodePayloadRejectsEmpty(t *testing.T) {
	if _, err := DecodePayload([]byte(`{"job_id":""}`)); err == nil {
		t.Fatal("empty payload accepted")
	}
}

func FuzzDecodeOptimize(f *testing.F) {
	if b, err := os.ReadFile("testdata/optimize-min.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"site":"dk","sport":"nfl","lineups":1e9}`))
	f.Add([]byte(`[]`))
	k, _ := Standard(job.Services{}).Lookup(TypeOptimize)
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := k.Decode(b)
		if err != nil {
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("decode error is %T, want *schema.ValidationError: %v", err, err)
			}
			return
		}
		switch k.Queue(req, time.Now()) {
		case QueueCritical, QueueDefault, QueueLow:
		default:
			t.Fatalf("queue %q", k.Queue(req, time.Now()))
		}
		if d := k.Timeout(req); d <= 0 || d > k.MaxTimeout {
			t.Fatalf("timeout %s", d)
		}
	})
}
