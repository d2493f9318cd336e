package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// faultVars lift the gateway's per-principal limits: the fault tests
// submit far more than a client normally would.
var faultVars = []string{"DFSOPT_RATELIMIT_SUBMIT=1000000/s", "DFSOPT_RATELIMIT_READ=1000000/s",
	"DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL=0"}

// noCache opts out of the result cache, so that every submission is a job
// that runs.
var noCache = map[string]string{"Cache-Control": "no-cache"}

// TestFaults runs the fault tests of the job lifecycle (issue 9) on the
// real binaries, each against its own redis-server, all at once (they
// mostly wait: the worker-kill one waits out Asynq's lease recovery, about
// a minute), so the whole takes about as long as the slowest. They need a
// real redis-server (one of them restarts it): without one they skip
// loudly, and fail under CI=true.
func TestFaults(t *testing.T) {
	if os.Getenv("DFSOPT_E2E_SKIP") != "" {
		t.Skip("DFSOPT_E2E_SKIP is set")
	}
	if testing.Short() {
		t.Skip("fault tests skipped in -short mode")
	}
	redisBin := faultRedisBin(t)
	bin := buildBinaries(t)
	tests := []struct {
		name      string
		run       func(t *testing.T, f *faultEnv)
		redisArgs []string
	}{
		{"worker SIGKILL with 20 jobs running", testWorkerKilled, nil},
		{"redis restart with AOF", testRedisRestart, []string{"--appendonly", "yes", "--appendfsync", "always"}},
		{"gateway SIGTERM under load", testGatewayDrain, nil},
		{"cancel running jobs", testCancelRunning, nil},
		{"worker SIGTERM requeues unfinished work", testWorkerTerm, nil},
	}
	// t.Run from goroutines rather than t.Parallel: -parallel defaults to
	// GOMAXPROCS (2 here) and these tests are mostly waiting.
	var wg sync.WaitGroup
	for _, tc := range tests {
		wg.Go(func() {
			t.Run(tc.name, func(t *testing.T) {
				began := time.Now()
				tc.run(t, newFaultEnv(t, bin, redisBin, tc.redisArgs...))
				t.Logf("%s took %v", tc.name, time.Since(began).Round(100*time.Millisecond))
			})
		})
	}
	wg.Wait()
}

// faultRedisBin returns the redis-server binary; the fault tests cannot
// use the miniredis fallback (Redis must be restarted with its AOF).
func faultRedisBin(t *testing.T) string {
	t.Helper()
	bin := redisServerBin()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but redis-server is not installed: the fault tests need a real Redis (apt-get install redis-server)")
		}
		msg := "WARNING: redis-server not found: the fault tests (worker kill, Redis restart, gateway drain, cancel, worker SIGTERM) " +
			"are SKIPPED (apt-get install redis-server; under CI=true they fail)"
		fmt.Fprintln(os.Stderr, "\n"+strings.Repeat("!", 80)+"\n"+msg+"\n"+strings.Repeat("!", 80))
		t.Skip(msg)
	}
	return bin
}

// redisServer is a redis-server on a fixed port and data folder, which can
// be stopped and started again.
type redisServer struct {
	t         *testing.T
	bin, addr string
	dir       string
	args      []string
	p         *proc
}

func newRedisServer(t *testing.T, bin string, extra ...string) *redisServer {
	r := &redisServer{t: t, bin: bin, addr: freeAddr(t), dir: t.TempDir()}
	_, port, _ := net.SplitHostPort(r.addr)
	r.args = append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", r.dir, "--save", "", "--appendonly", "no"}, extra...)
	r.start()
	return r
}

func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// start runs redis-server and waits until it answers PING.
func (r *redisServer) start() {
	r.t.Helper()
	r.p = start(r.t, "redis-server", r.bin, r.args, os.Environ())
	opt, _ := redis.ParseURL(r.url())
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) || r.p.exited() {
			r.t.Fatalf("redis-server did not start:\n%s", r.p.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for redis-server to exit.
func (r *redisServer) stop() {
	r.t.Helper()
	_ = r.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.p.done:
	case <-time.After(15 * time.Second):
		r.t.Fatalf("redis-server did not stop on SIGTERM:\n%s", r.p.logs())
	}
}

// faultEnv is one fault test's system: its own redis-server, gateways and
// workers (started by the test), the shared binaries.
type faultEnv struct {
	*env
	redis *redisServer
	insp  *asynq.Inspector
	store *jobstore.Store
}

func newFaultEnv(t *testing.T, bin, redisBin string, redisArgs ...string) *faultEnv {
	r := newRedisServer(t, redisBin, redisArgs...)
	e := &env{t: t, bin: bin, redisURL: r.url(), gwAddr: freeAddr(t), client: &http.Client{Timeout: 30 * time.Second}}
	opt, _ := redis.ParseURL(e.redisURL)
	e.rdb = redis.NewClient(opt)
	t.Cleanup(func() { _ = e.rdb.Close() })
	return &faultEnv{env: e, redis: r, insp: asynq.NewInspectorFromRedisClient(e.rdb), store: jobstore.New(e.rdb, resultTTL)}
}

// startWorkerNamed starts one more worker with extra environment and waits
// until it runs.
func (f *faultEnv) startWorkerNamed(t *testing.T, name string, extra ...string) *proc {
	t.Helper()
	p := start(t, name, filepath.Join(f.bin, "worker"), nil, append(f.commonEnv(), extra...))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.logs(), "worker started") {
		if time.Now().After(deadline) || p.exited() {
			t.Fatalf("%s did not start:\n%s", name, p.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// exampleBody is a request document of examples/ (built from the real
// DraftKings NBA 2025-01-12 slate and NFL history) with fields set.
func exampleBody(t *testing.T, name string, set map[string]any) []byte {
	t.Helper()
	return withFields(exampleDoc(t, name), set)
}

func exampleDoc(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	mustJSON(t, b, &doc)
	return doc
}

// withFields encodes a copy of doc with fields set (safe from any
// goroutine: doc is only read).
func withFields(doc, set map[string]any) []byte {
	c := make(map[string]any, len(doc)+len(set))
	for k, v := range doc {
		c[k] = v
	}
	for k, v := range set {
		c[k] = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // a document decoded from JSON always encodes
	}
	return b
}

// submit posts a request (no result cache) and returns the queued job.
func (f *faultEnv) submit(t *testing.T, path string, body []byte) jobDoc {
	t.Helper()
	st, _, b := f.do(t, "POST", path, adminKey, body, noCache)
	if st != http.StatusAccepted {
		t.Fatalf("submit %s: %d %s", path, st, b)
	}
	var j jobDoc
	mustJSON(t, b, &j)
	return j
}

// field reads one field of a job record straight from Redis.
func (f *faultEnv) field(t *testing.T, id, name string) int {
	t.Helper()
	v, err := f.rdb.HGet(context.Background(), jobstore.JobKey(id), name).Result()
	if errors.Is(err, redis.Nil) {
		return 0
	}
	if err != nil {
		t.Fatalf("read %s of %s: %v", name, id, err)
	}
	n, _ := strconv.Atoi(v)
	return n
}

// waitRunning polls jobs until each is running with its progress seen to
// move (two different done counts above 0, or done reaching minDone when
// set). A job that ends first fails the test: its request is too small.
func (f *faultEnv) waitRunning(t *testing.T, limit time.Duration, minDone func(jobDoc) bool, ids ...string) map[string]jobDoc {
	t.Helper()
	first := map[string]int{}
	last := map[string]jobDoc{}
	moving := map[string]bool{}
	deadline := time.Now().Add(limit)
	for len(moving) < len(ids) {
		for _, id := range ids {
			if moving[id] {
				continue
			}
			j := f.get(t, adminKey, id)
			last[id] = j
			switch {
			case j.Status != "running" && j.Status != "queued":
				t.Fatalf("job %s is %s before the fault (%+v): make its request bigger", id, j.Status, j.Error)
			case j.Status != "running" || j.Progress.Done == 0:
			case minDone != nil:
				moving[id] = minDone(j)
			case first[id] == 0:
				first[id] = j.Progress.Done
			case j.Progress.Done != first[id]:
				moving[id] = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v only %d of %d jobs run with moving progress: %+v", limit, len(moving), len(ids), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

// testWorkerKilled: worker A runs 20 optimize jobs at once (real NBA slate,
// 300 lineups each, progress seen moving on every one) and is killed with
// SIGKILL; worker B is started at once. Every job ends succeeded, each
// started exactly twice (A, then B after Asynq's lease recovery) and
// completed once: the job record counts one stored completion and no
// refused second one. The recovery time (SIGKILL to the orphaned tasks
// started again by B, read from the records' attempt counters) is logged.
func testWorkerKilled(t *testing.T, f *faultEnv) {
	const n, lineups = 20, 300
	// One core per worker (GOMAXPROCS=1) leaves the other to the tests
	// running alongside.
	conc := []string{"DFSOPT_WORKER_CONCURRENCY=" + strconv.Itoa(n), "GOMAXPROCS=1"}
	a := f.startWorkerNamed(t, "worker A", conc...)
	f.startGatewayAt(t, "gateway", f.gwAddr, faultVars...)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.submit(t, "/v1/optimize", exampleBody(t, "optimize-dk-nba-2025-01-12.json",
			map[string]any{"lineups": lineups, "seed": i + 1, "randomness": 0.2})).ID
	}
	before := f.waitRunning(t, 90*time.Second, nil, ids...)
	killed := time.Now()
	a.kill(t)
	f.startWorkerNamed(t, "worker B", conc...)
	t.Logf("SIGKILL with all %d jobs running; progress at the kill: %v", n, progressOf(before, ids))

	// The lease recovery: when B starts each orphaned job (its attempts
	// counter goes to 2).
	var firstBack, allBack time.Duration
	back := map[string]bool{}
	deadline := time.Now().Add(4 * time.Minute)
	for len(back) < n {
		for _, id := range ids {
			if !back[id] && f.field(t, id, "attempts") >= 2 {
				back[id] = true
				if firstBack == 0 {
					firstBack = time.Since(killed)
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("4 minutes after the SIGKILL only %d of %d jobs were started again", len(back), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	allBack = time.Since(killed)
	t.Logf("lease recovery: SIGKILL -> first orphaned job started again on worker B %.1fs, all %d %.1fs",
		firstBack.Seconds(), n, allBack.Seconds())
	if firstBack < 30*time.Second {
		t.Errorf("jobs restarted %v after the SIGKILL, before their 30 s lease could expire: was A really killed?", firstBack)
	}

	for _, id := range ids {
		if j := f.wait(t, adminKey, id, 4*time.Minute); j.Status != "succeeded" {
			t.Fatalf("job %s ended %s (%+v)", id, j.Status, j.Error)
		}
	}
	t.Logf("all %d jobs succeeded %.1fs after the SIGKILL", n, time.Since(killed).Seconds())
	for _, id := range ids {
		c, err := f.store.Completions(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if att := f.field(t, id, "attempts"); c.Stored != 1 || c.Refused != 0 || att != 2 {
			t.Errorf("job %s: %d completions stored, %d refused, %d attempts; want 1, 0 and 2 (A, then B)", id, c.Stored, c.Refused, att)
		}
		st, _, b := f.do(t, "GET", "/v1/jobs/"+id+"/result", adminKey, nil, nil)
		var res struct {
			Lineups []json.RawMessage `json:"lineups"`
		}
		mustJSON(t, b, &res)
		if st != http.StatusOK || len(res.Lineups) != lineups {
			t.Errorf("result of %s: %d with %d lineups", id, st, len(res.Lineups))
		}
	}
}

func progressOf(jobs map[string]jobDoc, ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, fmt.Sprintf("%d/%d", jobs[id].Progress.Done, jobs[id].Progress.Total))
	}
	return out
}

// testRedisRestart, testGatewayDrain, testCancelRunning and testWorkerTerm
// follow.

// testCancelRunning cancels a running optimize (3000 lineups), a fanned-out
// contest-sim (600,000 sims in chunks of 50,000 over the worker's 4 slots)
// and a calibrate (100,000 draws) job, each once its progress is seen
// moving. Each must read canceled through GET, and its tasks (the job's and
// its chunks') must have left Asynq's active state, within one second of
// the DELETE; no task may be left to run again (retry, pending, scheduled,
// archived), the worker must not start the job again, and nothing of its
// partial work may stay in Redis (no result, no fan-out request, partials
// or done set).
func testCancelRunning(t *testing.T, f *faultEnv) {
	w := f.startWorkerNamed(t, "worker", "DFSOPT_WORKER_CONCURRENCY=4", "GOMAXPROCS=1",
		"DFSOPT_CONTEST_CHUNK_SIMS=50000", "DFSOPT_CONTEST_FANOUT_THRESHOLD=1000")
	f.startGatewayAt(t, "gateway", f.gwAddr, faultVars...)
	ctx := context.Background()
	var canceled []string
	for _, c := range []struct {
		name, path, file string
		set              map[string]any
	}{
		{"optimize", "/v1/optimize", "optimize-dk-nba-2025-01-12.json", map[string]any{"lineups": 3000, "seed": 3, "randomness": 0.3}},
		{"contest-sim", "/v1/contest-sim", "contest-sim-dk-nba-2025-01-12.json", map[string]any{"sims": 600000, "seed": 3}},
		{"calibrate", "/v1/calibrate", "calibrate-nfl-2021-w01-w03.json", map[string]any{"draws": 100000, "warmup": 20000}},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := f.submit(t, c.path, exampleBody(t, c.file, c.set))
			f.waitRunning(t, 60*time.Second, nil, j.ID)
			chunks := f.field(t, j.ID, "chunks")
			tasks := []string{j.ID}
			for i := range chunks {
				tasks = append(tasks, task.ChunkTaskID(j.ID, i))
			}
			if c.name == "contest-sim" && chunks < 2 {
				t.Fatalf("the contest-sim job was not fanned out (%d chunks)", chunks)
			}

			sent := time.Now()
			st, _, b := f.do(t, "DELETE", "/v1/jobs/"+j.ID, adminKey, nil, nil)
			if st != http.StatusOK {
				t.Fatalf("DELETE: %d %s", st, b)
			}
			var seen, stopped time.Duration
			for seen == 0 || stopped == 0 {
				if seen == 0 && f.get(t, adminKey, j.ID).Status == "canceled" {
					seen = time.Since(sent)
				}
				if stopped == 0 && f.activeCount(t, j.Queue, tasks) == 0 {
					stopped = time.Since(sent)
				}
				if time.Since(sent) > 10*time.Second {
					t.Fatalf("10 s after the DELETE: canceled seen after %v, tasks stopped after %v (0: not yet)", seen, stopped)
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("%s: DELETE -> GET says canceled %v; DELETE -> no task of the job active (worker stopped computing) %v",
				c.name, seen.Round(time.Millisecond), stopped.Round(time.Millisecond))
			if seen > time.Second {
				t.Errorf("%s: GET said canceled %v after the DELETE, over the 1 s bound", c.name, seen)
			}
			if stopped > time.Second {
				t.Errorf("%s: the worker still ran the job %v after the DELETE, over the 1 s bound", c.name, stopped)
			}

			// Not retried: no task of the job is left in a state that runs
			// again.
			for _, id := range tasks {
				info, err := f.insp.GetTaskInfo(j.Queue, id)
				switch {
				case errors.Is(err, asynq.ErrTaskNotFound):
				case err != nil:
					t.Fatal(err)
				case info.State != asynq.TaskStateCompleted:
					t.Errorf("task %s is %s after the cancel (retried %d times, last error %q): Asynq would run it again",
						id, info.State, info.Retried, info.LastErr)
				}
			}
			// Partial work freed.
			keys, err := f.rdb.Keys(ctx, jobstore.KeyPrefix+"fanout:"+j.ID+":*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := f.rdb.Exists(ctx, jobstore.ResultKey(j.ID)).Result(); n != 0 || len(keys) > 0 {
				t.Errorf("partial work left in Redis after the cancel: result %d, fan-out keys %v", n, keys)
			}
			if got := f.get(t, adminKey, j.ID); got.Status != "canceled" {
				t.Errorf("job became %s after the cancel", got.Status)
			}
			canceled = append(canceled, j.ID)
		})
	}
	// The worker never runs a canceled job's task again: a retry would
	// come 5 s later (the first retry delay) and find the job final.
	time.Sleep(7 * time.Second)
	for _, id := range canceled {
		if w.logHas(id, "job already final") || w.logHas(id, `"retry":1`) {
			t.Errorf("the worker ran the task of canceled job %s again", id)
		}
	}
}

// activeCount is how many of the tasks are active (a worker runs them).
func (f *faultEnv) activeCount(t *testing.T, queue string, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		info, err := f.insp.GetTaskInfo(queue, id)
		if errors.Is(err, asynq.ErrTaskNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if info.State == asynq.TaskStateActive {
			n++
		}
	}
	return n
}

// testWorkerTerm: worker A (DFSOPT_SHUTDOWN_TIMEOUT=25s) runs a short
// simulate job (real NBA slate, 1,500 sims with their optimal lineups: a
// few CPU seconds) and a long calibrate job (real NFL history, 6 chains of
// 104,000 iterations: about 55 s alone on this 2-core machine) and gets
// SIGTERM once the short one is a third done. The short one finishes on A
// within the grace period (it took up to 16 s of a 20 s one with the other
// fault tests competing for the cores, hence 25 s) and the long one keeps
// computing through it (its progress moves); A exits when the grace period
// is over, its exit clean; the long one goes back to its queue (pending,
// without using a retry) and, on worker B, succeeds: started twice,
// completed once.
func testWorkerTerm(t *testing.T, f *faultEnv) {
	const grace = 25 * time.Second
	a := f.startWorkerNamed(t, "worker A", "DFSOPT_WORKER_CONCURRENCY=2", "DFSOPT_SHUTDOWN_TIMEOUT="+grace.String())
	f.startGatewayAt(t, "gateway", f.gwAddr, faultVars...)
	long := f.submit(t, "/v1/calibrate", exampleBody(t, "calibrate-nfl-2021-w01-w03.json", map[string]any{"draws": 100000, "warmup": 4000, "chains": 6}))
	short := f.submit(t, "/v1/simulate", exampleBody(t, "simulate-dk-nba-2025-01-12.json", map[string]any{"sims": 1500, "seed": 6}))
	f.waitRunning(t, 60*time.Second, nil, long.ID)
	f.waitRunning(t, 60*time.Second, func(j jobDoc) bool { return j.Progress.Total > 0 && 3*j.Progress.Done >= j.Progress.Total }, short.ID)

	atTerm := f.get(t, adminKey, long.ID).Progress.Done
	term := time.Now()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(grace + 20*time.Second):
		t.Fatalf("worker A still runs %v after SIGTERM", time.Since(term))
	}
	exited := time.Since(term)
	if code := a.cmd.ProcessState.ExitCode(); code != 0 || !a.logHas("worker stopped") {
		t.Errorf("worker A exited with %d:\n%s", code, a.logs())
	}
	t.Logf("worker A exited %.1fs after SIGTERM (grace %v)", exited.Seconds(), grace)
	if exited < grace-time.Second {
		t.Errorf("worker A exited %v after SIGTERM, before the %v grace period was over, with the long job running", exited, grace)
	}

	s := f.get(t, adminKey, short.ID)
	if s.Status != "succeeded" {
		t.Fatalf("the short job is %s after A's shutdown (%+v): it did not get the grace period", s.Status, s.Error)
	}
	fin, err := time.Parse(time.RFC3339Nano, s.FinishedAt)
	if err != nil || !fin.After(term) {
		t.Errorf("the short job finished at %s, before the SIGTERM at %s: the test proved nothing", s.FinishedAt, term.UTC().Format(time.RFC3339Nano))
	}
	t.Logf("the short job finished %.1fs into the grace period", fin.Sub(term).Seconds())
	l := f.get(t, adminKey, long.ID)
	if l.Status != "running" {
		t.Fatalf("the long job is %s after A's shutdown, want running (requeued)", l.Status)
	}
	t.Logf("the long job computed through the grace period: progress %d/%d at SIGTERM, %d at A's exit", atTerm, l.Progress.Total, l.Progress.Done)
	if l.Progress.Done <= atTerm {
		t.Errorf("the long job's progress did not move after SIGTERM (%d, then %d): it got no grace period", atTerm, l.Progress.Done)
	}
	info, err := f.insp.GetTaskInfo(long.Queue, long.ID)
	if err != nil || info.State != asynq.TaskStatePending || info.Retried != 0 {
		t.Fatalf("the long job's task after A's shutdown: %+v %v; want pending, not retried", info, err)
	}

	f.startWorkerNamed(t, "worker B", "DFSOPT_WORKER_CONCURRENCY=2")
	bStarted := time.Now()
	if l := f.wait(t, adminKey, long.ID, 3*time.Minute); l.Status != "succeeded" {
		t.Fatalf("the long job ended %s on worker B (%+v)", l.Status, l.Error)
	}
	t.Logf("the requeued long job succeeded on worker B %.1fs after B started", time.Since(bStarted).Seconds())
	for id, want := range map[string]int{short.ID: 1, long.ID: 2} {
		c, err := f.store.Completions(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if att := f.field(t, id, "attempts"); c.Stored != 1 || c.Refused != 0 || att != want {
			t.Errorf("job %s: %d completions stored, %d refused, %d attempts; want 1, 0 and %d", id, c.Stored, c.Refused, att, want)
		}
	}
}

// call is one HTTP exchange made from a load goroutine (no t.Fatal
// there): its status, Connection: close, body, or transport error.
type call struct {
	status int
	close  bool
	body   []byte
	err    error
}

func doCall(c *http.Client, method, url string, body []byte, headers map[string]string) call {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return call{err: err}
	}
	req.Header.Set("X-API-Key", adminKey)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return call{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return call{status: resp.StatusCode, close: resp.Close, body: b, err: err}
}

// isUnavailable reports whether b is the standard error body of a 503.
func isUnavailable(b []byte) bool {
	var e errorBody
	return json.Unmarshal(b, &e) == nil && e.Error.Code == "unavailable" && e.Error.Message != "" && e.Error.RequestID != ""
}

// testRedisRestart: Redis runs with an append-only file fsynced on every
// write. Three clients each submit a simulate job (real NBA slate, 500
// sims) every 450 ms, and one polls a job's status, through a gateway with
// one worker (one slot), so jobs are both queued and running when Redis is
// stopped (SIGTERM) and, 3 s later, started again on the same port and
// folder. Every job answered 202 ends succeeded; every submission and read
// during the outage answers 200/202 or 503 with the standard error body (no
// other 5xx, no transport error, nothing slower than the 10 s client
// timeout); gateway and worker reconnect on their own (jobs are accepted
// after the restart).
func testRedisRestart(t *testing.T, f *faultEnv) {
	f.startWorkerNamed(t, "worker", "DFSOPT_WORKER_CONCURRENCY=1")
	f.startGatewayAt(t, "gateway", f.gwAddr, faultVars...)
	client := &http.Client{Timeout: 10 * time.Second}
	doc := exampleDoc(t, "simulate-dk-nba-2025-01-12.json")
	var (
		mu            sync.Mutex
		accepted      []string
		refused       int
		slowest       time.Duration
		readsRefused  int
		acceptedAfter int
		problems      []string
		phase         = "before"
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }); wg.Wait() }
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(450 * time.Millisecond):
				}
				body := withFields(doc, map[string]any{"sims": 500, "seed": 3*i + w + 1})
				began := time.Now()
				c := doCall(client, "POST", "http://"+f.gwAddr+"/v1/simulate", body, noCache)
				mu.Lock()
				slowest = max(slowest, time.Since(began))
				switch {
				case c.err != nil:
					problems = append(problems, fmt.Sprintf("%s: transport error after %v: %v", phase, time.Since(began), c.err))
				case c.status == http.StatusAccepted:
					var j jobDoc
					if err := json.Unmarshal(c.body, &j); err != nil || j.ID == "" {
						problems = append(problems, fmt.Sprintf("%s: 202 without a job: %s", phase, c.body))
					} else {
						accepted = append(accepted, j.ID)
						if phase == "after" {
							acceptedAfter++
						}
					}
				case c.status == http.StatusServiceUnavailable && isUnavailable(c.body):
					refused++
				default:
					problems = append(problems, fmt.Sprintf("%s: %d %s", phase, c.status, c.body))
				}
				mu.Unlock()
			}
		})
	}
	// A status poller: answers are 200 or the standard 503.
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			mu.Lock()
			id := ""
			if len(accepted) > 0 {
				id = accepted[len(accepted)-1]
			}
			mu.Unlock()
			if id == "" {
				continue
			}
			began := time.Now()
			c := doCall(client, "GET", "http://"+f.gwAddr+"/v1/jobs/"+id, nil, nil)
			mu.Lock()
			slowest = max(slowest, time.Since(began))
			switch {
			case c.err != nil:
				problems = append(problems, fmt.Sprintf("%s: GET: transport error after %v: %v", phase, time.Since(began), c.err))
			case c.status == http.StatusOK:
			case c.status == http.StatusServiceUnavailable && isUnavailable(c.body):
				readsRefused++
			default:
				problems = append(problems, fmt.Sprintf("%s: GET: %d %s", phase, c.status, c.body))
			}
			mu.Unlock()
		}
	})
	defer halt()

	time.Sleep(3 * time.Second)
	// Restart while some jobs are queued and one runs: the single worker
	// runs them one after another, so look again (briefly) when the
	// snapshot falls between two jobs.
	queued, running, before := 0, 0, 0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		queued, running = 0, 0
		mu.Lock()
		before = len(accepted)
		for _, id := range accepted {
			switch f.get(t, adminKey, id).Status {
			case "queued":
				queued++
			case "running":
				running++
			}
		}
		mu.Unlock()
		if (queued > 0 && running > 0) || time.Now().After(deadline) {
			break
		}
	}
	if queued == 0 || running == 0 {
		t.Fatalf("at the restart %d jobs were queued and %d running; the test needs both", queued, running)
	}
	down := time.Now()
	f.redis.stop()
	mu.Lock()
	phase = "outage"
	mu.Unlock()
	time.Sleep(3 * time.Second)
	f.redis.start()
	mu.Lock()
	phase = "after"
	mu.Unlock()
	t.Logf("Redis stopped (SIGTERM) with %d jobs accepted (%d queued, %d running), serving again %.1fs later", before, queued, running, time.Since(down).Seconds())
	time.Sleep(3 * time.Second)
	halt()

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("submission: %s", p)
	}
	if refused == 0 {
		t.Errorf("no submission was refused with 503 during the outage: did Redis stop?")
	}
	if acceptedAfter == 0 {
		t.Errorf("no submission was accepted after Redis came back: the gateway did not reconnect")
	}
	began := time.Now()
	for _, id := range accepted {
		if j := f.wait(t, adminKey, id, 3*time.Minute); j.Status != "succeeded" {
			t.Errorf("job %s, accepted with 202, ended %s (%+v)", id, j.Status, j.Error)
		}
	}
	t.Logf("%d submissions accepted (202), %d refused with 503 (and %d status reads) during the outage, slowest answer %v; all accepted jobs succeeded %.1fs after the load stopped",
		len(accepted), refused, readsRefused, slowest.Round(time.Millisecond), time.Since(began).Seconds())
}

// balancer is a TCP load balancer modelled on kube-proxy, which is what
// stands between clients and gateway pods behind a Kubernetes Service: it
// works at layer 4, so it balances new TCP connections over the endpoints
// that are ready (here: whose GET /ready answered 200 at its last probe,
// every 100 ms; Kubernetes takes a terminating pod out of the endpoints
// in about that way, asynchronously), while an established connection
// stays with its backend until one side closes it (conntrack). So a client
// on a keep-alive connection keeps talking to a gateway that is shutting
// down: the gateway must make it let go (Connection: close) before its
// listener and idle connections close.
type balancer struct {
	t        *testing.T
	ln       net.Listener
	mu       sync.Mutex
	backends []*lbBackend
	next     int
	probe    *http.Client
}

type lbBackend struct {
	addr  string
	mu    sync.Mutex
	ready bool
	conns int
}

func newBalancer(t *testing.T) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{t: t, ln: ln, probe: &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(done); _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c)
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			b.mu.Lock()
			bs := append([]*lbBackend(nil), b.backends...)
			b.mu.Unlock()
			for _, be := range bs {
				ok := false
				if resp, err := b.probe.Get("http://" + be.addr + "/ready"); err == nil {
					ok = resp.StatusCode == http.StatusOK
					resp.Body.Close()
				}
				be.mu.Lock()
				be.ready = ok
				be.mu.Unlock()
			}
		}
	})
	return b
}

func (b *balancer) addr() string { return b.ln.Addr().String() }

// add puts a backend behind the balancer and waits until it is probed
// ready.
func (b *balancer) add(addr string) *lbBackend {
	be := &lbBackend{addr: addr}
	b.mu.Lock()
	b.backends = append(b.backends, be)
	b.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !be.isReady() {
		if time.Now().After(deadline) {
			b.t.Fatalf("backend %s never probed ready", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return be
}

func (be *lbBackend) isReady() bool {
	be.mu.Lock()
	defer be.mu.Unlock()
	return be.ready
}

// pick returns the next ready backend, round robin (nil: none ready).
func (b *balancer) pick() *lbBackend {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.backends {
		be := b.backends[b.next%len(b.backends)]
		b.next++
		if be.isReady() {
			return be
		}
	}
	return nil
}

// serve pipes one client connection to a ready backend until either side
// closes.
func (b *balancer) serve(c net.Conn) {
	defer c.Close()
	be := b.pick()
	if be == nil {
		return
	}
	s, err := net.Dial("tcp", be.addr)
	if err != nil {
		return
	}
	defer s.Close()
	be.mu.Lock()
	be.conns++
	be.mu.Unlock()
	go func() {
		_, _ = io.Copy(s, c)
		_ = s.(*net.TCPConn).CloseWrite()
	}()
	_, _ = io.Copy(c, s)
}

// testGatewayDrain is a rolling restart of two gateway replicas under
// steady load through the balancer above: 8 clients submit (POST, no
// Idempotency-Key, so Go's transport never retries them) and poll (GET)
// back to back on keep-alive connections. Replica A gets SIGTERM, exits,
// replica C replaces it, then B gets SIGTERM and exits. No client may see a
// transport error (connection reset, EOF on a reused connection) or a 5xx;
// during a drain the draining replica's answers carry Connection: close;
// a request in flight when the listener closes (a POST whose body is sent
// slowly, straight to A, across its shutdown) completes with 202; both
// replicas exit 0. DFSOPT_DRAIN_DELAY is 2 s (the balancer notices /ready
// in 100 ms).
func testGatewayDrain(t *testing.T, f *faultEnv) {
	drain := []string{"DFSOPT_DRAIN_DELAY=2s", "DFSOPT_SHUTDOWN_TIMEOUT=10s"}
	gw := func(name string) (*proc, string) {
		addr := freeAddr(t)
		return f.startGatewayAt(t, name, addr, append(append([]string{}, faultVars...), drain...)...), addr
	}
	lb := newBalancer(t)
	a, addrA := gw("gateway A")
	b, addrB := gw("gateway B")
	lb.add(addrA)
	lb.add(addrB)
	body, err := os.ReadFile(filepath.Join("testdata", "optimize-nba-tiny.json"))
	if err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}
	var (
		mu        sync.Mutex
		total     int
		closes    int
		problems  []string
		statuses  = map[int]int{}
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		stopOnce  sync.Once
		lastPhase = "steady"
	)
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	defer halt()
	setPhase := func(p string) { mu.Lock(); lastPhase = p; mu.Unlock() }
	record := func(what string, c call, want int) {
		mu.Lock()
		defer mu.Unlock()
		total++
		statuses[c.status]++
		if c.close {
			closes++
		}
		switch {
		case c.err != nil:
			problems = append(problems, fmt.Sprintf("[%s] %s: %v", lastPhase, what, c.err))
		case c.status != want:
			problems = append(problems, fmt.Sprintf("[%s] %s: %d %s", lastPhase, what, c.status, c.body))
		}
	}
	base := "http://" + lb.addr()
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				// A few ms between requests: steady, not a CPU hog for the
				// tests running alongside.
				time.Sleep(3 * time.Millisecond)
				c := doCall(client, "POST", base+"/v1/optimize", body, noCache)
				record("POST /v1/optimize", c, http.StatusAccepted)
				var j jobDoc
				if c.err != nil || json.Unmarshal(c.body, &j) != nil || j.ID == "" {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				for range 2 {
					record("GET /v1/jobs/{id}", doCall(client, "GET", base+"/v1/jobs/"+j.ID, nil, nil), http.StatusOK)
				}
			}
		})
	}

	// terminate sends SIGTERM to a replica and waits for its clean exit.
	terminate := func(p *proc, name string) time.Duration {
		sent := time.Now()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s still runs 30 s after SIGTERM", name)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 || !p.logHas("gateway stopped") {
			t.Errorf("%s exited with %d", name, code)
		}
		return time.Since(sent)
	}

	time.Sleep(1500 * time.Millisecond)
	// A request in flight across A's shutdown: straight to A (a client
	// that had connected before the balancer noticed), body sent over 3 s
	// from 0.5 s after the SIGTERM, while A closes its listener at 2 s.
	slow := make(chan call, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		req, _ := http.NewRequest("POST", "http://"+addrA+"/v1/optimize", &slowReader{b: body, every: 3 * time.Second / time.Duration(len(body)/64+1)})
		req.ContentLength = int64(len(body))
		req.Header.Set("X-API-Key", adminKey)
		req.Header.Set("Cache-Control", "no-cache")
		resp, err := c.Do(req)
		if err != nil {
			slow <- call{err: err}
			return
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		slow <- call{status: resp.StatusCode, close: resp.Close, body: rb}
	}()
	setPhase("A draining")
	tookA := terminate(a, "gateway A")
	sc := <-slow
	if sc.err != nil || sc.status != http.StatusAccepted {
		t.Errorf("the request in flight across A's shutdown: %d %s %v", sc.status, sc.body, sc.err)
	}
	setPhase("A gone")
	_, addrC := gw("gateway C")
	lb.add(addrC)
	time.Sleep(time.Second)
	setPhase("B draining")
	tookB := terminate(b, "gateway B")
	setPhase("B gone")
	time.Sleep(time.Second)
	halt()

	mu.Lock()
	defer mu.Unlock()
	for i, p := range problems {
		if i == 20 {
			t.Errorf("... and %d more", len(problems)-20)
			break
		}
		t.Errorf("client saw: %s", p)
	}
	if closes == 0 {
		t.Errorf("no answer carried Connection: close during the drains")
	}
	t.Logf("rolling restart under load: %d requests (statuses %v), %d answers with Connection: close, %d client errors; "+
		"A exited %.1fs and B %.1fs after SIGTERM (drain delay 2s); slow POST across A's shutdown: %d (Connection: close %v)",
		total, statuses, closes, len(problems), tookA.Seconds(), tookB.Seconds(), sc.status, sc.close)
}

// slowReader yields b 64 bytes at a time, one piece every `every`.
type slowReader struct {
	b     []byte
	every time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	n := copy(p[:min(len(p), 64)], r.b)
	r.b = r.b[n:]
	return n, nil
}
