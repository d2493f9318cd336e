package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
)

// ownerKey makes an API key of its own principal with the job scopes.
func (f *fixture) ownerKey(t *testing.T, owner string) string {
	t.Helper()
	_, key, err := f.keys.Create(context.Background(), owner, owner, []string{auth.ScopeJobsRead, auth.ScopeJobsWrite})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func jobOf(t *testing.T, b []byte) jobstore.Job {
	t.Helper()
	var j jobstore.Job
	if err := json.Unmarshal(b, &j); err != nil || j.ID == "" {
		t.Fatalf("not a job (%v): %s", err, b)
	}
	return j
}

// TestIdempotencyKeyHeader: the header is validated; the same key and body
// answer the first job (Idempotent-Replayed: true); another body is 409.
func TestIdempotencyKeyHeader(t *testing.T) {
	f := newFixture(t)
	key := f.ownerKey(t, "alice")
	for _, bad := range []string{"", strings.Repeat("k", 256), "tab\there", "é"} {
		w := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": key, "Idempotency-Key": bad}, strings.NewReader(validBody))
		if b := decodeError(t, w); w.Code != 400 || b.Error.Code != CodeInvalidRequest || b.Error.Details[0].Field != "Idempotency-Key" {
			t.Fatalf("key %q: %d %s", bad, w.Code, w.Body)
		}
	}
	w1 := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": key, "Idempotency-Key": "order 1"}, strings.NewReader(validBody))
	if w1.Code != 202 || w1.Header().Get(IdempotentReplayedHeader) != "" {
		t.Fatalf("first: %d %v %s", w1.Code, w1.Header(), w1.Body)
	}
	first := jobOf(t, w1.Body.Bytes())
	w2 := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": key, "Idempotency-Key": "order 1"}, strings.NewReader(validBody))
	if w2.Code != 202 || w2.Header().Get(IdempotentReplayedHeader) != "true" || jobOf(t, w2.Body.Bytes()).ID != first.ID {
		t.Fatalf("again: %d %v %s", w2.Code, w2.Header(), w2.Body)
	}
	other := strings.Replace(validBody, `"lineups":1`, `"lineups":2`, 1)
	w3 := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": key, "Idempotency-Key": "order 1"}, strings.NewReader(other))
	if b := decodeError(t, w3); w3.Code != 409 || b.Error.Code != CodeConflict {
		t.Fatalf("other body: %d %s", w3.Code, w3.Body)
	}
}

// TestReplayRoute: the owner replays a job (202, a new job with replay_of);
// another principal gets 404, as for an unknown job.
func TestReplayRoute(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.ownerKey(t, "alice"), f.ownerKey(t, "bob")
	w := f.do("POST", "/v1/optimize", alice, strings.NewReader(validBody))
	if w.Code != 202 {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	first := jobOf(t, w.Body.Bytes())
	w = f.do("POST", "/v1/jobs/"+first.ID+"/replay", alice, nil)
	if w.Code != 202 {
		t.Fatalf("replay: %d %s", w.Code, w.Body)
	}
	r := jobOf(t, w.Body.Bytes())
	if r.ID == first.ID || r.ReplayOf != first.ID || w.Header().Get("Location") != "/v1/jobs/"+r.ID {
		t.Fatalf("replayed job %+v, Location %q", r, w.Header().Get("Location"))
	}
	for _, c := range []struct{ key, id string }{{bob, first.ID}, {alice, "job_00000000000000000000000000000000"}, {alice, "nope"}} {
		w := f.do("POST", "/v1/jobs/"+c.id+"/replay", c.key, nil)
		if b := decodeError(t, w); w.Code != 404 || b.Error.Code != CodeNotFound {
			t.Fatalf("replay %s: %d %s", c.id, w.Code, w.Body)
		}
	}
}

// TestNoCacheHeader: Cache-Control no-cache or no-store opts out of the
// result cache.
func TestNoCacheHeader(t *testing.T) {
	for v, want := range map[string]bool{"": false, "no-cache": true, "max-age=0, No-Store": true, "max-age=60": false} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("POST", "/v1/optimize", nil)
		if v != "" {
			c.Request.Header.Set("Cache-Control", v)
		}
		if got := noCache(c); got != want {
			t.Errorf("Cache-Control %q: %v, want %v", v, got, want)
		}
	}
}

// TestListFiltersAndCursor: GET /v1/jobs pages with limit and cursor
// (next_cursor) and filters by status and type.
func TestListFiltersAndCursor(t *testing.T) {
	f := newFixture(t)
	key := f.ownerKey(t, "alice")
	var ids []string
	for i := range 3 {
		w := f.do("POST", "/v1/optimize", key, strings.NewReader(strings.Replace(validBody, `"lineups":1`, `"lineups":`+string(rune('1'+i)), 1)))
		if w.Code != 202 {
			t.Fatalf("submit: %d %s", w.Code, w.Body)
		}
		ids = append(ids, jobOf(t, w.Body.Bytes()).ID)
		// Listing is newest first to the millisecond; jobs created in the
		// same millisecond come in the order of their (random) ids.
		time.Sleep(2 * time.Millisecond)
	}
	if w := f.do("DELETE", "/v1/jobs/"+ids[0], key, nil); w.Code != 200 {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	type page struct {
		Jobs       []jobstore.Job `json:"jobs"`
		NextCursor string         `json:"next_cursor"`
	}
	list := func(q string) page {
		t.Helper()
		w := f.do("GET", "/v1/jobs"+q, key, nil)
		var p page
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &p) != nil {
			t.Fatalf("GET /v1/jobs%s: %d %s", q, w.Code, w.Body)
		}
		return p
	}
	p1 := list("?limit=2")
	if len(p1.Jobs) != 2 || p1.Jobs[0].ID != ids[2] || p1.Jobs[1].ID != ids[1] || p1.NextCursor == "" {
		t.Fatalf("page 1 %+v", p1)
	}
	p2 := list("?limit=2&cursor=" + p1.NextCursor)
	if len(p2.Jobs) != 1 || p2.Jobs[0].ID != ids[0] || p2.NextCursor != "" {
		t.Fatalf("page 2 %+v", p2)
	}
	if p := list("?status=canceled"); len(p.Jobs) != 1 || p.Jobs[0].ID != ids[0] {
		t.Fatalf("canceled %+v", p)
	}
	if p := list("?status=queued&type=optimize"); len(p.Jobs) != 2 {
		t.Fatalf("queued optimize %+v", p)
	}
	if p := list("?type=simulate"); len(p.Jobs) != 0 || p.Jobs == nil {
		t.Fatalf("simulate %+v", p)
	}
	for _, q := range []string{"?status=done", "?type=nope", "?cursor=%21%21", "?limit=501"} {
		w := f.do("GET", "/v1/jobs"+q, key, nil)
		if b := decodeError(t, w); w.Code != 400 || b.Error.Code != CodeInvalidRequest {
			t.Fatalf("%s: %d %s", q, w.Code, w.Body)
		}
	}
}
