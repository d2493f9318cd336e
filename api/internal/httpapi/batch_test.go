package httpapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/ratelimit"
)

func batchBody(items ...string) string { return `{"jobs":[` + strings.Join(items, ",") + `]}` }

func decodeBatch(t *testing.T, b []byte) []BatchResult {
	t.Helper()
	var out struct {
		Results []BatchResult `json:"results"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("not a batch answer (%v): %s", err, b)
	}
	return out.Results
}

// TestBatch: each item is validated and submitted on its own; the answer
// is 207 with one result per item, in order. A batch whose items do not
// have the schema's form (a known type, a request object) is refused
// whole.
func TestBatch(t *testing.T) {
	f := newFixture(t)
	key := f.ownerKey(t, "alice")
	invalid := strings.Replace(validBody, `"lineups":1`, `"lineups":0`, 1)
	w := f.do("POST", "/v1/batch", key, strings.NewReader(batchBody(
		`{"type":"optimize","request":`+validBody+`}`,
		`{"type":"optimize","request":`+invalid+`}`,
		`{"type":"calibrate","request":{}}`,
	)))
	if w.Code != 207 {
		t.Fatalf("batch: %d %s", w.Code, w.Body)
	}
	rs := decodeBatch(t, w.Body.Bytes())
	want := []struct {
		status int
		code   string
	}{{202, ""}, {422, CodeInvalidRequest}, {403, CodeForbidden}}
	if len(rs) != len(want) {
		t.Fatalf("%d results: %s", len(rs), w.Body)
	}
	for i, r := range rs {
		if r.Index != i || r.Status != want[i].status || (r.Error == nil) != (want[i].code == "") {
			t.Fatalf("item %d: %+v", i, r)
		}
		if r.Error != nil && (r.Error.Code != want[i].code || r.Error.RequestID == "") {
			t.Fatalf("item %d error: %+v", i, r.Error)
		}
	}
	if rs[0].Job == nil || rs[0].Job.Status != "queued" {
		t.Fatalf("item 0 job: %+v", rs[0].Job)
	}
	if w := f.do("GET", "/v1/jobs/"+rs[0].Job.ID, key, nil); w.Code != 200 {
		t.Fatalf("batch job not readable: %d", w.Code)
	}
	for _, c := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"empty", `{"jobs":[]}`, 422, "jobs"},
		{"too many", batchBody(slices.Repeat([]string{`{"type":"optimize","request":{}}`}, MaxBatchJobs+1)...), 422, "jobs"},
		{"unknown field", `{"jobs":[],"x":1}`, 400, "x"},
		{"not json", `{`, 400, ""},
		// An item without the schema's form refuses the whole batch, naming it.
		{"unknown type", batchBody(`{"type":"optimize","request":`+validBody+`}`, `{"type":"nope","request":{}}`), 422, "jobs[1].type"},
		{"request not an object", batchBody(`{"type":"optimize","request":[1]}`), 400, "jobs[0].request"},
		{"request null", batchBody(`{"type":"optimize","request":null}`), 400, "jobs[0].request"},
		{"request missing", batchBody(`{"type":"optimize"}`), 422, "jobs[0].request"},
		{"type null", batchBody(`{"type":null,"request":{}}`), 400, "jobs[0].type"},
	} {
		w := f.do("POST", "/v1/batch", key, strings.NewReader(c.body))
		b := decodeError(t, w)
		if w.Code != c.status || b.Error.Code != CodeInvalidRequest || (c.field != "" && (len(b.Error.Details) == 0 || b.Error.Details[0].Field != c.field)) {
			t.Fatalf("%s: %d %s", c.name, w.Code, w.Body)
		}
	}
	w = f.doH("POST", "/v1/batch", map[string]string{"X-API-Key": key, "Idempotency-Key": "k"}, strings.NewReader(batchBody(`{"type":"optimize","request":`+validBody+`}`)))
	if w.Code != 400 {
		t.Fatalf("batch with Idempotency-Key: %d %s", w.Code, w.Body)
	}
}

// TestBatchRateLimit: every item counts against the submit limit.
func TestBatchRateLimit(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, f *fixture) {
		d.Limiter = ratelimit.New(f.redis.Client)
		d.Limits = Limits{Submit: ratelimit.Limit{Rate: 5, Period: time.Minute}}
	})
	key := f.ownerKey(t, "alice")
	item := `{"type":"optimize","request":` + validBody + `}`
	w := f.do("POST", "/v1/batch", key, strings.NewReader(batchBody(item, item, item)))
	if w.Code != 207 || w.Header().Get("RateLimit-Remaining") != "2" {
		t.Fatalf("first batch: %d remaining %q %s", w.Code, w.Header().Get("RateLimit-Remaining"), w.Body)
	}
	w = f.do("POST", "/v1/batch", key, strings.NewReader(batchBody(item, item, item)))
	if b := decodeError(t, w); w.Code != 429 || b.Error.Code != CodeRateLimited || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second batch: %d %s", w.Code, w.Body)
	}
}
