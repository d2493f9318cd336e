package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/api/internal/jobs"
	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// newLargeFixture is newFixture with room for slate-sized bodies.
func newLargeFixture(t testing.TB) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := redistest.New(t)
	reg := task.Standard(job.Services{})
	store := jobstore.New(r.Client, time.Hour)
	client := asynq.NewClientFromRedisClient(r.Client)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	keys := auth.NewKeyStore(r.Client)
	f := &fixture{store: store, insp: insp, keys: keys, readyOK: true}
	f.h = New(Deps{
		Log: zap.NewNop(), Registry: reg, Jobs: jobs.New(reg, store, client, insp),
		Auth: auth.NewAuthenticator(admin, keys), Keys: keys, MaxBodyBytes: 1 << 20, Version: "test",
	})
	return f
}

// TestSubmitSimulationJobs: each simulation route queues a job of its type
// on its default queue with an explicit timeout; invalid documents and
// slate ids are refused with the field named.
func TestSubmitSimulationJobs(t *testing.T) {
	f := newLargeFixture(t)
	cases := []struct {
		path, file, typ, queue string
		// breaks makes the document invalid and names the field.
		breaks func(doc map[string]any) string
	}{
		{"/v1/simulate", "simulate", task.TypeSimulate, "default", func(d map[string]any) string { d["sims"] = -1; return "sims" }},
		{"/v1/contest-sim", "contest-sim", task.TypeContestSim, "default", func(d map[string]any) string { delete(d, "entries"); return "entries" }},
		{"/v1/ownership", "ownership", task.TypeOwnership, "default", func(d map[string]any) string { d["contest_type"] = "league"; return "contest_type" }},
		{"/v1/portfolio", "portfolio", task.TypePortfolio, "default", func(d map[string]any) string { d["lineups"] = 0; return "lineups" }},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", c.file+"-nba-tiny.json"))
			if err != nil {
				t.Fatal(err)
			}
			w := f.do("POST", c.path, admin, bytes.NewReader(body))
			if w.Code != http.StatusAccepted {
				t.Fatalf("submit: %d %s", w.Code, w.Body)
			}
			var j jobstore.Job
			if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
				t.Fatal(err)
			}
			if j.Type != c.typ || j.Queue != c.queue || j.Status != jobstore.StatusQueued {
				t.Fatalf("job %s", w.Body)
			}
			info, err := f.insp.GetTaskInfo(c.queue, j.ID)
			if err != nil || info.Type != c.typ || info.Timeout <= task.HandlerOverhead {
				t.Fatalf("task %+v %v", info, err)
			}

			edit := func(change func(map[string]any) string) ([]byte, string) {
				var doc map[string]any
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatal(err)
				}
				field := change(doc)
				b, _ := json.Marshal(doc)
				return b, field
			}
			bad, field := edit(c.breaks)
			w = f.do("POST", c.path, admin, bytes.NewReader(bad))
			if b := decodeError(t, w); w.Code/100 != 4 || b.Error.Code != "invalid_request" || len(b.Error.Details) == 0 || b.Error.Details[0].Field != field {
				t.Errorf("invalid %s: %d %s", field, w.Code, w.Body)
			}
			bySlate, _ := edit(func(d map[string]any) string { delete(d, "players"); d["slate_id"] = "nba-2025-01-12"; return "" })
			w = f.do("POST", c.path, admin, bytes.NewReader(bySlate))
			if b := decodeError(t, w); w.Code/100 != 4 || b.Error.Details[0].Field != "slate_id" {
				t.Errorf("slate_id: %d %s", w.Code, w.Body)
			}
		})
	}
}

// TestTimeSensitiveContestRuns: a contest run flagged time_sensitive, or
// for a contest locking within the lock window, is queued (job and task)
// on the critical queue without the jobs:critical scope; one locking
// tomorrow stays on default.
func TestTimeSensitiveContestRuns(t *testing.T) {
	f := newLargeFixture(t)
	body, err := os.ReadFile(filepath.Join("testdata", "contest-sim-nba-tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, key := f.key(t, auth.ScopeJobsWrite, auth.ScopeJobsRead)
	soon := time.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339)
	later := time.Now().Add(26 * time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		name  string
		edit  func(d map[string]any)
		queue string
	}{
		{"time_sensitive", func(d map[string]any) { d["time_sensitive"] = true }, task.QueueCritical},
		{"locks in 30 minutes", func(d map[string]any) { d["contest"].(map[string]any)["lock_time"] = soon }, task.QueueCritical},
		{"locks tomorrow", func(d map[string]any) { d["contest"].(map[string]any)["lock_time"] = later }, task.QueueDefault},
	} {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			c.edit(doc)
			b, _ := json.Marshal(doc)
			w := f.do("POST", "/v1/contest-sim", key, bytes.NewReader(b))
			var j jobstore.Job
			if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil || w.Code != http.StatusAccepted || j.Queue != c.queue {
				t.Fatalf("submit: %d %s, want queue %s", w.Code, w.Body, c.queue)
			}
			if _, err := f.insp.GetTaskInfo(c.queue, j.ID); err != nil {
				t.Fatalf("task not on %s: %v", c.queue, err)
			}
		})
	}
}
