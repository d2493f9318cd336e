package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

const (
	adminKey  = "e2e-admin-key-0123456789"
	resultTTL = time.Hour
)

// env is a running system under test.
type env struct {
	t        *testing.T
	bin      string // folder of the built binaries
	redisURL string
	rdb      *redis.Client
	gwAddr   string
	gateway  *proc
	worker   *proc
	client   *http.Client
	// extraEnv is added to every binary's environment (commonEnv).
	extraEnv []string
}

func TestEndToEnd(t *testing.T) {
	if os.Getenv("DFSOPT_E2E_SKIP") != "" {
		t.Skip("DFSOPT_E2E_SKIP is set")
	}
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	e := &env{t: t, bin: buildBinaries(t), client: specClient(t)}
	e.redisURL = startRedis(t)
	opt, err := redis.ParseURL(e.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	e.rdb = redis.NewClient(opt)
	t.Cleanup(func() { _ = e.rdb.Close() })
	e.gwAddr = freeAddr(t)
	e.startWorker() // first: the gateway is ready once a worker's heartbeat is seen
	e.startGateway()

	reqBody, err := os.ReadFile(filepath.Join("testdata", "optimize-nba-tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req schema.OptimizeRequest
	if err := schema.DecodeBytes(reqBody, &req); err != nil {
		t.Fatal(err)
	}

	t.Run("probes", func(t *testing.T) {
		for _, path := range []string{"/health", "/live", "/ready"} {
			st, _, _ := e.do(t, "GET", path, "", nil, nil)
			if st != http.StatusOK {
				t.Errorf("GET %s: %d", path, st)
			}
		}
	})

	t.Run("errors", func(t *testing.T) { e.checkErrors(t, reqBody) })

	var jobID string
	t.Run("optimize", func(t *testing.T) {
		st, h, b := e.do(t, "POST", "/v1/optimize", adminKey, reqBody, map[string]string{"X-Request-ID": "e2e-req-1"})
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %s", st, b)
		}
		if h.Get("X-Request-ID") != "e2e-req-1" {
			t.Errorf("X-Request-ID not echoed: %q", h.Get("X-Request-ID"))
		}
		var j jobDoc
		mustJSON(t, b, &j)
		if j.ID == "" || j.Type != "optimize" || j.Status != "queued" || j.Queue != "default" || j.RequestID != "e2e-req-1" || j.CreatedAt == "" || j.ExpiresAt == "" {
			t.Fatalf("bad job document: %s", b)
		}
		jobID = j.ID
		done := e.wait(t, adminKey, jobID, 90*time.Second)
		if done.Status != "succeeded" {
			t.Fatalf("job %s: %+v", done.Status, done.Error)
		}
		if done.StartedAt == "" || done.FinishedAt == "" || done.ResultURL != "/v1/jobs/"+jobID+"/result" {
			t.Errorf("finished job document lacks timestamps or result_url: %+v", done)
		}
		if done.Progress.Done != req.Lineups || done.Progress.Total != req.Lineups {
			t.Errorf("progress %+v, want %d/%d", done.Progress, req.Lineups, req.Lineups)
		}
		st, _, b = e.do(t, "GET", done.ResultURL, adminKey, nil, nil)
		if st != http.StatusOK {
			t.Fatalf("result: %d %s", st, b)
		}
		var res schema.OptimizeResult
		mustJSON(t, b, &res)
		checkResult(t, &req, &res)

		// The same result as the site's upload CSV: slot header, one row of
		// ids per lineup, in slot order.
		st, hdr, b := e.do(t, "GET", done.ResultURL+"?format=csv", adminKey, nil, nil)
		if st != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv result: %d %s %s", st, hdr.Get("Content-Type"), b)
		}
		rows := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(rows) != len(res.Lineups)+1 {
			t.Fatalf("csv has %d rows for %d lineups:\n%s", len(rows), len(res.Lineups), b)
		}
		for i, lu := range res.Lineups {
			var ids, slots []string
			for _, p := range lu.Players {
				ids = append(ids, p.ID)
				slots = append(slots, p.Slot)
			}
			if rows[0] != strings.Join(slots, ",") || rows[i+1] != strings.Join(ids, ",") {
				t.Fatalf("csv row %d = %q under %q, want %q under %q", i+1, rows[i+1], rows[0], strings.Join(ids, ","), strings.Join(slots, ","))
			}
		}

		// Keys live under dfsopt: with the configured TTL.
		for _, key := range []string{"dfsopt:job:" + jobID, "dfsopt:result:" + jobID} {
			ttl, err := e.rdb.TTL(context.Background(), key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= resultTTL-time.Minute || ttl > resultTTL {
				t.Errorf("TTL of %s is %s, want about %s", key, ttl, resultTTL)
			}
		}
		// The request id reached the worker's log lines for this job.
		e.eventually(t, 5*time.Second, func() bool {
			return e.worker.logHas("e2e-req-1", jobID, "job started") && e.worker.logHas("e2e-req-1", jobID, "job finished")
		}, "worker log lines with the request id and job id")
		if !e.gateway.logHas("e2e-req-1", "job queued") {
			t.Error("gateway did not log the request id with the job")
		}
		// The listing shows it.
		st, _, b = e.do(t, "GET", "/v1/jobs", adminKey, nil, nil)
		if st != http.StatusOK || !bytes.Contains(b, []byte(jobID)) {
			t.Errorf("list: %d %s", st, b)
		}
	})
	if jobID == "" {
		t.Fatal("no job; stopping")
	}

	t.Run("metrics and worker probes", func(t *testing.T) { e.checkMetrics(t) })

	t.Run("infeasible request is a 422 naming the rule", func(t *testing.T) {
		bad := req
		bad.Constraints.MaxSalary = 1000
		body, _ := json.Marshal(bad)
		st, _, b := e.do(t, "POST", "/v1/optimize", adminKey, body, nil)
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %s", st, b)
		}
		var j jobDoc
		mustJSON(t, b, &j)
		done := e.wait(t, adminKey, j.ID, 90*time.Second)
		if done.Status != "failed" || done.Error == nil || done.Error.Code != "infeasible" {
			t.Fatalf("job %s: %+v", done.Status, done.Error)
		}
		st, _, b = e.do(t, "GET", "/v1/jobs/"+j.ID+"/result", adminKey, nil, nil)
		if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"field":"constraints.max_salary"`) || !strings.Contains(string(b), `"request_id"`) {
			t.Fatalf("result of an infeasible job: %d %s", st, b)
		}
	})

	t.Run("owner only", func(t *testing.T) {
		st, _, b := e.do(t, "POST", "/v1/admin/api-keys", adminKey, []byte(`{"name":"other"}`), nil)
		if st != http.StatusCreated {
			t.Fatalf("create key: %d %s", st, b)
		}
		var k struct{ ID, Key string }
		mustJSON(t, b, &k)
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/jobs/" + jobID}, {"GET", "/v1/jobs/" + jobID + "/result"}, {"DELETE", "/v1/jobs/" + jobID},
		} {
			st, _, b := e.do(t, c.method, c.path, k.Key, nil, nil)
			expectError(t, c.method+" "+c.path+" as another principal", st, b, http.StatusNotFound, "not_found")
		}
		st, _, b = e.do(t, "GET", "/v1/jobs", k.Key, nil, nil)
		if st != http.StatusOK || bytes.Contains(b, []byte(jobID)) {
			t.Errorf("other principal's list: %d %s", st, b)
		}
		// Admin routes need the admin scope; a revoked key stops working.
		st, _, b = e.do(t, "GET", "/v1/admin/api-keys", k.Key, nil, nil)
		expectError(t, "admin route with a plain key", st, b, http.StatusForbidden, "forbidden")
		if st, _, b := e.do(t, "DELETE", "/v1/admin/api-keys/"+k.ID, adminKey, nil, nil); st != http.StatusOK {
			t.Fatalf("revoke: %d %s", st, b)
		}
		st, _, b = e.do(t, "GET", "/v1/jobs", k.Key, nil, nil)
		expectError(t, "revoked key", st, b, http.StatusUnauthorized, "unauthenticated")
		// API keys are stored hashed, never in clear.
		keys, err := e.rdb.Keys(context.Background(), "dfsopt:apikey*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, rk := range keys {
			dump := fmt.Sprint(e.rdb.HGetAll(context.Background(), rk).Val(), e.rdb.Get(context.Background(), rk).Val())
			if strings.Contains(rk, k.Key) || strings.Contains(dump, k.Key) {
				t.Errorf("redis key %s holds the API key in clear", rk)
			}
		}
	})

	t.Run("worker killed and restarted: queued jobs complete", func(t *testing.T) {
		e.worker.kill(t)
		// The same request succeeded before: opt out of the result cache
		// so that these jobs wait for a worker.
		noCache := map[string]string{"Cache-Control": "no-cache"}
		st, _, b := e.do(t, "POST", "/v1/optimize", adminKey, reqBody, noCache)
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %s", st, b)
		}
		var queued, toCancel jobDoc
		mustJSON(t, b, &queued)
		_, _, b = e.do(t, "POST", "/v1/optimize", adminKey, reqBody, noCache)
		mustJSON(t, b, &toCancel)
		time.Sleep(500 * time.Millisecond)
		if j := e.get(t, adminKey, queued.ID); j.Status != "queued" {
			t.Fatalf("with no worker the job is %s, want queued", j.Status)
		}
		st, _, b = e.do(t, "DELETE", "/v1/jobs/"+toCancel.ID, adminKey, nil, nil)
		var canceled jobDoc
		mustJSON(t, b, &canceled)
		if st != http.StatusOK || canceled.Status != "canceled" {
			t.Fatalf("cancel: %d %s", st, b)
		}
		e.startWorker()
		if j := e.wait(t, adminKey, queued.ID, 90*time.Second); j.Status != "succeeded" {
			t.Fatalf("after the worker restarted the job is %s (%+v)", j.Status, j.Error)
		}
		time.Sleep(300 * time.Millisecond)
		if j := e.get(t, adminKey, toCancel.ID); j.Status != "canceled" {
			t.Errorf("canceled job became %s", j.Status)
		}
		st, _, b = e.do(t, "DELETE", "/v1/jobs/"+queued.ID, adminKey, nil, nil)
		expectError(t, "cancel a finished job", st, b, http.StatusConflict, "conflict")
	})

	t.Run("gateway restart keeps job status", func(t *testing.T) {
		e.gateway.stop(t)
		e.startGateway()
		j := e.get(t, adminKey, jobID)
		if j.Status != "succeeded" {
			t.Fatalf("after a gateway restart the job is %s", j.Status)
		}
		if st, _, b := e.do(t, "GET", "/v1/jobs/"+jobID+"/result", adminKey, nil, nil); st != http.StatusOK {
			t.Fatalf("result after restart: %d %s", st, b)
		}
	})

	t.Run("cli remote", func(t *testing.T) {
		// computed again (not the cached result), answers checked against the spec
		reqFile := bypassCache(t, filepath.Join("testdata", "optimize-nba-tiny.json"))
		stdout, stderr := e.dfsopt(t, append([]string{"optimize", "--request", reqFile}, e.remoteFlags(t)...)...)
		if !strings.Contains(string(stderr), "submitted job") || !strings.Contains(string(stderr), "succeeded") {
			t.Errorf("no progress on stderr: %q", stderr)
		}
		var res schema.OptimizeResult
		mustJSON(t, stdout, &res)
		checkResult(t, &req, &res)

		// The site's upload CSV, downloaded from the gateway: a header of
		// the site's slots and one row per lineup.
		csv, _ := e.dfsopt(t, append([]string{"optimize", "--request", reqFile, "--format", "csv", "--quiet"}, e.remoteFlags(t)...)...)
		rows := strings.Split(strings.TrimSpace(string(csv)), "\n")
		if len(rows) != len(res.Lineups)+1 || !strings.HasPrefix(rows[0], "PG,SG,SF,PF,C,G,F,UTIL") {
			t.Fatalf("upload CSV for %d lineups:\n%s", len(res.Lineups), csv)
		}
	})

	t.Run("simulation jobs", func(t *testing.T) { e.checkSimulationJobs(t) })

	t.Run("slates", func(t *testing.T) { e.checkSlates(t) })

	t.Run("embedded mode", func(t *testing.T) { e.checkEmbedded(t, reqBody, &req) })

	t.Run("gateway drains on SIGTERM", func(t *testing.T) { e.checkDrain(t) })

	t.Run("graceful shutdown", func(t *testing.T) {
		e.worker.stop(t)
		e.gateway.stop(t)
		if !e.gateway.logHas("gateway stopped") || !e.worker.logHas("worker stopped") {
			t.Errorf("binaries did not log a clean stop")
		}
	})
}

// checkEmbedded runs the gateway as `make run` does on a fresh machine:
// no DFSOPT_REDIS_URL and no admin key. It must warn once that nothing is
// durable, print its URL and a generated key, and run jobs in process.
func (e *env) checkEmbedded(t *testing.T, reqBody []byte, req *schema.OptimizeRequest) {
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DFSOPT_") {
			environ = append(environ, kv)
		}
	}
	addr := freeAddr(t)
	g := start(t, "embedded gateway", filepath.Join(e.bin, "gateway"), nil, append(environ, "DFSOPT_HTTP_ADDR="+addr))
	keyRE := regexp.MustCompile(`admin API key: (dfs_[A-Za-z0-9_-]+)`)
	var key string
	e.eventually(t, 20*time.Second, func() bool {
		if m := keyRE.FindStringSubmatch(g.logs()); m != nil {
			key = m[1]
		}
		return key != "" || g.exited()
	}, "the embedded gateway's banner")
	if key == "" {
		t.Fatalf("no admin key printed:\n%s", g.logs())
	}
	if !strings.Contains(g.logs(), "http://"+addr) {
		t.Errorf("URL not printed:\n%s", g.logs())
	}
	if n := strings.Count(g.logs(), `"level":"warn"`); n != 1 || !strings.Contains(g.logs(), "NOT durable") {
		t.Errorf("want exactly one WARN saying state is not durable, got %d:\n%s", n, g.logs())
	}
	emb := &env{t: t, gwAddr: addr, client: e.client}
	st, _, b := emb.do(t, "POST", "/v1/optimize", key, reqBody, nil)
	if st != http.StatusAccepted {
		t.Fatalf("submit: %d %s", st, b)
	}
	var j jobDoc
	mustJSON(t, b, &j)
	if done := emb.wait(t, key, j.ID, 60*time.Second); done.Status != "succeeded" {
		t.Fatalf("embedded job %s: %+v", done.Status, done.Error)
	}
	_, _, b = emb.do(t, "GET", "/v1/jobs/"+j.ID+"/result", key, nil, nil)
	var res schema.OptimizeResult
	mustJSON(t, b, &res)
	checkResult(t, req, &res)
	g.stop(t)
}

// checkErrors drives the error paths: every non-2xx answer has the error
// body with the request id.
func (e *env) checkErrors(t *testing.T, reqBody []byte) {
	cases := []struct {
		name, method, path, key string
		body                    []byte
		status                  int
		code, field             string
	}{
		{"no key", "POST", "/v1/optimize", "", reqBody, 401, "unauthenticated", ""},
		{"wrong key", "GET", "/v1/jobs", "dfs_wrong-key", nil, 401, "unauthenticated", ""},
		{"no route", "GET", "/v1/nowhere", adminKey, nil, 404, "not_found", ""},
		{"no method", "PUT", "/v1/jobs", adminKey, nil, 405, "method_not_allowed", ""},
		{"unknown job", "GET", "/v1/jobs/job_nope", adminKey, nil, 404, "not_found", ""},
		{"bad json", "POST", "/v1/optimize", adminKey, []byte(`{"site":`), 400, "invalid_request", ""},
		{"wrong type", "POST", "/v1/optimize", adminKey, []byte(`{"site":"draftkings","sport":"nba","lineups":"many"}`), 400, "invalid_request", "lineups"},
		{"unknown field", "POST", "/v1/optimize", adminKey, bytes.Replace(reqBody, []byte(`"lineups"`), []byte(`"lineupz"`), 1), 400, "invalid_request", "lineupz"},
		{"out of range", "POST", "/v1/optimize", adminKey, bytes.Replace(reqBody, []byte(`"lineups": 3`), []byte(`"lineups": 0`), 1), 422, "invalid_request", "lineups"},
		{"bad priority", "POST", "/v1/optimize", adminKey, bytes.Replace(reqBody, []byte(`"priority": "default"`), []byte(`"priority": "urgent"`), 1), 422, "invalid_request", "priority"},
		{"too large", "POST", "/v1/optimize", adminKey, bytes.Repeat([]byte(" "), 2<<20), 413, "payload_too_large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, h, b := e.do(t, c.method, c.path, c.key, c.body, map[string]string{"X-Request-ID": "err-" + strings.ReplaceAll(c.name, " ", "-")})
			body := expectError(t, c.name, st, b, c.status, c.code)
			if body.Error.RequestID != "err-"+strings.ReplaceAll(c.name, " ", "-") || h.Get("X-Request-ID") != body.Error.RequestID {
				t.Errorf("request id %q / header %q", body.Error.RequestID, h.Get("X-Request-ID"))
			}
			if c.field != "" {
				found := false
				for _, d := range body.Error.Details {
					found = found || d.Field == c.field
				}
				if !found {
					t.Errorf("details %+v do not name %q", body.Error.Details, c.field)
				}
			}
		})
	}
	// An insane X-Request-ID is replaced.
	_, h, _ := e.do(t, "GET", "/live", "", nil, map[string]string{"X-Request-ID": "bad id with spaces"})
	if got := h.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Errorf("insane request id kept: %q", got)
	}
}

type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
		Details   []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

func expectError(t *testing.T, what string, status int, b []byte, wantStatus int, wantCode string) errorBody {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(b, &body); err != nil {
		t.Errorf("%s: body is not JSON: %q", what, b)
		return body
	}
	if status != wantStatus || body.Error.Code != wantCode || body.Error.Message == "" || body.Error.RequestID == "" {
		t.Errorf("%s: got %d %s, want %d with code %s and a message and request id", what, status, b, wantStatus, wantCode)
	}
	return body
}

type jobDoc struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Status   string `json:"status"`
	Queue    string `json:"queue"`
	Progress struct {
		Done  int    `json:"done"`
		Total int    `json:"total"`
		Phase string `json:"phase"`
	} `json:"progress"`
	CreatedAt  string `json:"created_at"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
	ExpiresAt  string `json:"expires_at"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
	ResultURL string `json:"result_url"`
	RequestID string `json:"request_id"`
}

func (e *env) get(t *testing.T, key, id string) jobDoc {
	t.Helper()
	st, _, b := e.do(t, "GET", "/v1/jobs/"+id, key, nil, nil)
	if st != http.StatusOK {
		t.Fatalf("get job %s: %d %s", id, st, b)
	}
	var j jobDoc
	mustJSON(t, b, &j)
	return j
}

// wait polls a job until it is final.
func (e *env) wait(t *testing.T, key, id string, limit time.Duration) jobDoc {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		j := e.get(t, key, id)
		switch j.Status {
		case "succeeded", "failed", "canceled":
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %s", id, j.Status, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *env) eventually(t *testing.T, limit time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("timed out waiting for %s", what)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) do(t *testing.T, method, path, key string, body []byte, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+e.gwAddr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(withReporter(req, t))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
}

func (e *env) commonEnv() []string {
	return append(append(os.Environ(),
		"DFSOPT_REDIS_URL="+e.redisURL,
		"DFSOPT_RESULT_TTL="+resultTTL.String(),
		"DFSOPT_LOG_LEVEL=debug",
		"DFSOPT_SHUTDOWN_TIMEOUT=5s",
		"DFSOPT_WORKER_POLL_INTERVAL=50ms",
		"DFSOPT_WORKER_CONCURRENCY=2",
		"DFSOPT_METRICS_ADDR=127.0.0.1:0",
	), e.extraEnv...)
}

func (e *env) startGateway() {
	e.gateway = start(e.t, "gateway", filepath.Join(e.bin, "gateway"), nil, append(e.commonEnv(),
		"DFSOPT_HTTP_ADDR="+e.gwAddr,
		"DFSOPT_ADMIN_API_KEY="+adminKey,
		"DFSOPT_MAX_BODY_BYTES=1048576",
	))
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := e.client.Get("http://" + e.gwAddr + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || e.gateway.exited() {
			e.t.Fatalf("gateway not ready: %v\n%s", err, e.gateway.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(e.gateway.logs(), adminKey) {
		e.t.Error("the gateway logged the admin API key")
	}
}

func (e *env) startWorker() {
	e.worker = start(e.t, "worker", filepath.Join(e.bin, "worker"), nil, append(e.commonEnv(), fanOutEnv...))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(e.worker.logs(), "worker started") {
		if time.Now().After(deadline) || e.worker.exited() {
			e.t.Fatalf("worker did not start:\n%s", e.worker.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proc is a started binary with its stderr (the JSON logs) captured.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// logHas reports whether one log line contains every part.
func (p *proc) logHas(parts ...string) bool {
	for line := range strings.SplitSeq(p.logs(), "\n") {
		all := true
		for _, s := range parts {
			all = all && strings.Contains(line, s)
		}
		if all {
			return true
		}
	}
	return false
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if !p.exited() {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop on SIGTERM", p.name)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited with %d:\n%s", p.name, code, p.logs())
	}
}

func start(t *testing.T, name, path string, args, environ []string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = environ
	p.cmd.Stderr = p
	p.cmd.Stdout = p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, p.logs())
		}
	})
	return p
}

// buildBinaries builds gateway, worker and dfsopt into a temporary folder.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, pkg := range map[string]string{
		"gateway": "github.com/dfsopt/dfsopt/api/cmd/gateway",
		"worker":  "github.com/dfsopt/dfsopt/worker/cmd/worker",
		"dfsopt":  "github.com/dfsopt/dfsopt/optimizer/cmd/dfsopt",
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	return dir
}

// redisServerBin returns the redis-server to run: DFSOPT_E2E_REDIS_SERVER
// ("none": as if not installed), else the one on PATH; "" when none.
func redisServerBin() string {
	bin := os.Getenv("DFSOPT_E2E_REDIS_SERVER")
	switch bin {
	case "":
		bin, _ = exec.LookPath("redis-server")
	case "none":
		bin = ""
	}
	return bin
}

// startRedis starts redis-server on a free port, or an in-process
// miniredis with a loud warning when there is no redis-server.
func startRedis(t *testing.T) string {
	t.Helper()
	bin := redisServerBin()
	if bin == "" && os.Getenv("CI") == "true" {
		t.Fatal("CI=true but redis-server is not installed: the end-to-end test needs a real Redis (apt-get install redis-server)")
	}
	if bin == "" {
		msg := "WARNING: redis-server not found on PATH: the end-to-end test runs against an in-process miniredis " +
			"instead of a real Redis (install redis-server, as .ci/run does, for the real thing)"
		fmt.Fprintln(os.Stderr, "\n"+strings.Repeat("!", 80)+"\n"+msg+"\n"+strings.Repeat("!", 80))
		t.Log(msg)
		m := miniredis.RunT(t)
		stopClock := make(chan struct{})
		go func() { // miniredis expires keys only when told time passed
			tk := time.NewTicker(time.Second)
			defer tk.Stop()
			for {
				select {
				case <-stopClock:
					return
				case <-tk.C:
					m.FastForward(time.Second)
				}
			}
		}()
		t.Cleanup(func() { close(stopClock) })
		return "redis://" + m.Addr() + "/0"
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p := start(t, "redis-server", bin, []string{"--port", port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", t.TempDir()}, os.Environ())
	url := "redis://" + addr + "/0"
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) || p.exited() {
			t.Fatalf("redis-server did not start:\n%s", p.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("using redis-server %s on %s", bin, addr)
	return url
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// checkMetrics reads the gateway's /metrics and the worker's /metrics,
// /live and /ready (on DFSOPT_METRICS_ADDR, from the worker's log) after
// the optimize job ran: both parse with the Prometheus text parser and
// carry the job's series.
func (e *env) checkMetrics(t *testing.T) {
	m := regexp.MustCompile(`"msg":"metrics and probes listening".*?"addr":"([^"]+)"`).FindStringSubmatch(e.worker.logs())
	if m == nil {
		t.Fatalf("the worker did not log its metrics address:\n%s", e.worker.logs())
	}
	if st, ok := e.client.Transport.(*specTransport); ok {
		st.ignoreHost(m[1]) // the worker's listener, not a gateway
	}
	scrape := func(url string) map[string]*dto.MetricFamily {
		resp, err := e.client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
		}
		return fams
	}
	has := func(fams map[string]*dto.MetricFamily, name, label, value string) bool {
		for _, mm := range fams[name].GetMetric() {
			for _, l := range mm.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return true
				}
			}
		}
		return false
	}
	gw := scrape("http://" + e.gwAddr + "/metrics")
	if !has(gw, "dfsopt_jobs_submitted_total", "type", "optimize") || !has(gw, "dfsopt_http_requests_total", "route", "/v1/jobs/:id") ||
		!has(gw, "dfsopt_queue_tasks", "queue", "default") || gw["go_goroutines"] == nil {
		t.Errorf("gateway /metrics lacks the job, route, queue or runtime series")
	}
	wk := scrape("http://" + m[1] + "/metrics")
	if !has(wk, "dfsopt_jobs_finished_total", "status", "succeeded") || wk["dfsopt_jobs_run_seconds"] == nil ||
		wk["dfsopt_jobs_queue_wait_seconds"] == nil || wk["process_cpu_seconds_total"] == nil {
		t.Errorf("worker /metrics lacks the finished job, its histograms or the process series")
	}
	for _, path := range []string{"/live", "/ready"} {
		resp, err := e.client.Get("http://" + m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("worker %s: %d", path, resp.StatusCode)
		}
	}
}

// checkDrain: on SIGTERM a gateway's /ready answers 503 naming "shutdown"
// at once, while the listener stays open for DFSOPT_DRAIN_DELAY and /live
// stays 200; then it exits cleanly.
func (e *env) checkDrain(t *testing.T) {
	addr := freeAddr(t)
	g := e.startGatewayAt(t, "draining gateway", addr, "DFSOPT_DRAIN_DELAY=3s")
	get := func(path string) (int, string) {
		resp, err := e.client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s while draining: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	sent := time.Now()
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	for {
		st, body := get("/ready")
		if st == http.StatusServiceUnavailable {
			if !strings.Contains(body, `"field":"shutdown"`) {
				t.Errorf("503 does not name shutdown: %s", body)
			}
			break
		}
		if time.Since(sent) > time.Second {
			t.Fatalf("/ready still %d one second after SIGTERM", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, _ := get("/live"); st != http.StatusOK {
		t.Errorf("/live %d while draining", st)
	}
	select {
	case <-g.done:
		t.Fatal("the gateway exited before its drain delay")
	case <-time.After(time.Until(sent.Add(2 * time.Second))):
	}
	g.stop(t) // waits for the exit and checks its code
}
