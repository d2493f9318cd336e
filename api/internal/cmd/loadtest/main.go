// Command loadtest is a bounded load test of the gateway on loopback: it
// starts a redis-server and the gateway binary (no worker: submitted jobs
// just queue), then, each phase for a fixed duration with a fixed number
// of concurrent clients, measures
//
//   - bare: cfg.clients concurrent loops of asynq Client.Enqueue on the same
//     Redis, and bare-1, one such loop (a submit is one enqueue plus
//     authentication, rate limit, validation and the job record);
//   - submit: POST /v1/optimize with the admin key;
//   - status: GET /v1/jobs/{id} of the submitted jobs;
//   - live: GET /live, no auth and no Redis (the HTTP ceiling of the
//     machine, for reference);
//
// and prints requests/s, p50 and p99 latency and the CPU time the gateway,
// redis-server and the load generator spent per operation in each phase
// (Linux), the ratio of submit to bare-enqueue throughput, and the issue's
// targets: submit ≥ half the rate of a bare Enqueue loop (bare-1),
// status ≥ 5,000/s, p99 < 25 ms. The ratio to the concurrent loops is
// printed for reference, with the CPU per submission half their rate
// would leave on this machine's cores. The admin
// principal is exempt from the rate limits (DFSOPT_RATELIMIT_EXEMPT) and
// the active-job cap is raised for the run. It makes -runs whole runs
// (3; a fresh redis-server and gateway each), prints each and the median
// of every figure, and checks the targets on the medians; -enforce makes
// a missed target exit 1 (failed requests always do).
//
// The HTTP phases run wrk (Debian's wrk: a C event loop, a fraction of the
// CPU of a Go client on the 2 cores the gateway and Redis share) when it
// is installed, else Go's net/http client, and say which.
//
// Usage (from the repository root, after make build):
//
//	go run ./api/internal/cmd/loadtest -gateway bin/gateway -request api/e2e/testdata/optimize-nba-tiny.json
//
// The default request is a real one: the DraftKings NBA slate of
// 2025-01-12 with its projections (examples/, 209 players, 35 kB compact).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
)

const adminHeader = "X-API-Key"

// config is the command line.
type config struct {
	gatewayBin  string
	redisServer string
	requestFile string
	generator   string
	duration    time.Duration
	clients     int
	enforce     bool
	runs        int
}

// phase is what one phase measured.
type phase struct {
	name     string
	n        int
	errors   int
	elapsed  time.Duration
	p50, p99 time.Duration
	cpu      cpuUse
}

// rate is the phase's successful operations per second.
func (p *phase) rate() float64 { return float64(p.n) / p.elapsed.Seconds() }

// quantile returns the q-quantile of sorted latencies (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&cfg.gatewayBin, "gateway", "bin/gateway", "the gateway binary")
	fs.StringVar(&cfg.redisServer, "redis-server", "redis-server", "the redis-server binary")
	fs.StringVar(&cfg.requestFile, "request", "examples/optimize-dk-nba-2025-01-12.json", "the optimize request document submitted (compacted): by default a real slate's (209 players); api/e2e/testdata/optimize-nba-tiny.json has 12")
	fs.StringVar(&cfg.generator, "generator", "auto", "HTTP load generator: wrk, go (net/http), or auto (wrk when on PATH)")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each phase (whole seconds with wrk)")
	fs.IntVar(&cfg.clients, "clients", 16, "concurrent clients per phase")
	fs.BoolVar(&cfg.enforce, "enforce", false, "exit 1 when a target is missed (by the medians of the runs)")
	fs.IntVar(&cfg.runs, "runs", 3, "whole runs (a fresh redis-server and gateway each); the targets are checked on their medians")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parse flags: %w", err)
	}
	if cfg.runs < 1 || cfg.clients < 1 {
		return fmt.Errorf("-runs and -clients must be at least 1")
	}
	body, err := os.ReadFile(cfg.requestFile)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	// Sent compact, as clients send it.
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return fmt.Errorf("request %s is not JSON: %w", cfg.requestFile, err)
	}
	body = compact.Bytes()
	wrkBin, err := generator(cfg.generator)
	if err != nil {
		return err
	}
	gen := "wrk (" + wrkBin + ")"
	if wrkBin == "" {
		gen = "Go net/http client (install wrk for a lighter one)"
	}
	fmt.Fprintf(out, "loadtest: %d runs of 5 phases, %d clients, %v per phase, no worker; HTTP load from %s\n", cfg.runs, cfg.clients, cfg.duration, gen)
	fmt.Fprintf(out, "request: %s (%d bytes compact)\n", cfg.requestFile, len(body))
	var all []figures
	for i := range cfg.runs {
		r, err := once(context.Background(), cfg, body, wrkBin)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Fprintf(out, "\nrun %d (gateway %s, Redis %s)\n", i+1, r.gateway, r.redis)
		f := r.figures()
		f.print(out)
		all = append(all, f)
	}
	m := medianOf(all)
	if len(all) > 1 {
		fmt.Fprintf(out, "\nmedian of %d runs (errors: summed)\n", len(all))
		m.print(out)
	}
	return m.check(out, cfg)
}

// runResult is what one run measured.
type runResult struct {
	gateway, redis                    string
	bare, bare1, submit, status, live *phase
}

// phaseFigures are the printed figures of a phase.
type phaseFigures struct {
	name                string
	rate                float64
	errors              int
	p50, p99            time.Duration
	gateway, redis, gen float64 // CPU µs per operation
}

// figures are the printed figures of a run (or the medians of runs):
// bare, bare-1, submit, status, live, and the ratios of submit throughput
// to one bare Enqueue loop and to the concurrent loops.
type figures struct {
	phases          [5]phaseFigures
	one, concurrent float64
}

func (r *runResult) figures() figures {
	var f figures
	for i, p := range []*phase{r.bare, r.bare1, r.submit, r.status, r.live} {
		f.phases[i] = phaseFigures{name: p.name, rate: p.rate(), errors: p.errors, p50: p.p50, p99: p.p99,
			gateway: perOp(p.cpu.gateway, p.n), redis: perOp(p.cpu.redis, p.n), gen: perOp(p.cpu.gen, p.n)}
	}
	f.one, f.concurrent = r.submit.rate()/r.bare1.rate(), r.submit.rate()/r.bare.rate()
	return f
}

// The phases' places in figures.phases.
const (
	phaseBare = iota
	phaseBare1
	phaseSubmit
	phaseStatus
	phaseLive
)

func (f figures) print(out io.Writer) {
	fmt.Fprintf(out, "%-8s %10s %8s %10s %10s %28s\n", "phase", "ops/s", "errors", "p50", "p99", "CPU µs/op gateway redis gen")
	for _, p := range f.phases {
		fmt.Fprintf(out, "%-8s %10.0f %8d %10v %10v %20.0f %5.0f %3.0f\n", p.name, p.rate, p.errors,
			p.p50.Round(10*time.Microsecond), p.p99.Round(10*time.Microsecond), p.gateway, p.redis, p.gen)
	}
	fmt.Fprintf(out, "submit / bare Enqueue: %.2f of one loop, %.2f of the concurrent loops\n", f.one, f.concurrent)
}

// check prints the targets against f and, with cfg.enforce, fails
// when one is missed. Failed requests fail it always: they are a fault,
// not a speed.
func (f figures) check(out io.Writer, cfg config) error {
	sub, st := f.phases[phaseSubmit], f.phases[phaseStatus]
	checks := []struct {
		what string
		ok   bool
	}{
		{fmt.Sprintf("submit ≥ 0.5 × a bare Enqueue loop (%.2f)", f.one), f.one >= 0.5},
		{fmt.Sprintf("status ≥ 5000/s (%.0f)", st.rate), st.rate >= 5000},
		{fmt.Sprintf("submit p99 < 25ms (%v)", sub.p99.Round(10*time.Microsecond)), sub.p99 < 25*time.Millisecond},
		{fmt.Sprintf("status p99 < 25ms (%v)", st.p99.Round(10*time.Microsecond)), st.p99 < 25*time.Millisecond},
		{fmt.Sprintf("no errors (submit %d, status %d)", sub.errors, st.errors), sub.errors == 0 && st.errors == 0},
	}
	f.concurrentBound(out, cfg)
	var missed []string
	for _, c := range checks {
		mark := "ok  "
		if !c.ok {
			mark = "MISS"
			missed = append(missed, c.what)
		}
		fmt.Fprintf(out, "  %s %s\n", mark, c.what)
	}
	if cfg.enforce && len(missed) > 0 {
		return fmt.Errorf("targets missed: %s", strings.Join(missed, "; "))
	}
	if sub.errors > 0 || st.errors > 0 {
		return fmt.Errorf("failed requests: submit %d, status %d", sub.errors, st.errors)
	}
	return nil
}

// concurrentBound prints, for reference, submit throughput against the
// concurrent bare loops, which is not the target (a bare Enqueue
// loop): the CPU a submission could use at half their rate, on all of the
// machine's cores, against what a submission costs in the run, and the
// part of it one bare enqueue (client and Redis) plus one GET /live
// (gateway and load generator) take.
func (f figures) concurrentBound(out io.Writer, cfg config) {
	bare, live := f.phases[phaseBare], f.phases[phaseLive]
	if bare.rate <= 0 {
		return
	}
	sub := f.phases[phaseSubmit]
	budget := float64(runtime.NumCPU()) * 1e6 / (0.5 * bare.rate)
	floor := bare.redis + bare.gen + live.gateway + live.gen
	fmt.Fprintf(out, "  (for reference: submit is %.2f of %d concurrent bare loops; half their rate leaves %.0f µs of CPU per submission on %d cores; a submission costs %.0f µs (gateway, Redis, load generator), one enqueue plus one GET /live %.0f µs of it)\n",
		f.concurrent, cfg.clients, budget, runtime.NumCPU(), sub.gateway+sub.redis+sub.gen, floor)
}

// medianOf returns the median of each figure over runs (the ratios are
// the medians of the runs' ratios); errors are summed, so that a failed
// request in any run shows.
func medianOf(runs []figures) figures {
	var m figures
	col := func(get func(figures) float64) float64 {
		v := make([]float64, len(runs))
		for i, f := range runs {
			v[i] = get(f)
		}
		return median(v)
	}
	for i := range m.phases {
		m.phases[i] = phaseFigures{
			name:    runs[0].phases[i].name,
			rate:    col(func(f figures) float64 { return f.phases[i].rate }),
			p50:     time.Duration(col(func(f figures) float64 { return float64(f.phases[i].p50) })),
			p99:     time.Duration(col(func(f figures) float64 { return float64(f.phases[i].p99) })),
			gateway: col(func(f figures) float64 { return f.phases[i].gateway }),
			redis:   col(func(f figures) float64 { return f.phases[i].redis }),
			gen:     col(func(f figures) float64 { return f.phases[i].gen }),
		}
		for _, f := range runs {
			m.phases[i].errors += f.phases[i].errors
		}
	}
	m.one = col(func(f figures) float64 { return f.one })
	m.concurrent = col(func(f figures) float64 { return f.concurrent })
	return m
}

// median returns the median of v (the mean of the middle two for an even
// count); v is reordered.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// once starts a redis-server and the gateway, runs the five phases and
// stops them.
func once(ctx context.Context, cfg config, body []byte, wrkBin string) (*runResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	redisAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(redisAddr)
	dir, err := os.MkdirTemp("", "dfsopt-loadtest")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	redisCmd := exec.CommandContext(ctx, cfg.redisServer, "--port", port, "--bind", host, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := redisCmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	defer func() { cancel(); _ = redisCmd.Wait() }()
	redisURL := "redis://" + redisAddr + "/0"
	if err := waitTCP(redisAddr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("redis-server: %w", err)
	}

	gwAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	key := "loadtest-admin-" + randomHex(16)
	var gwLog bytes.Buffer
	gw := exec.CommandContext(ctx, cfg.gatewayBin)
	gw.Env = append(os.Environ(),
		"DFSOPT_HTTP_ADDR="+gwAddr, "DFSOPT_REDIS_URL="+redisURL, "DFSOPT_ADMIN_API_KEY="+key,
		"DFSOPT_READY_REQUIRE_WORKERS=false", "DFSOPT_RATELIMIT_EXEMPT=admin",
		"DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL=100000", "DFSOPT_LOG_LEVEL=warn")
	gw.Stdout, gw.Stderr = &gwLog, &gwLog
	if err := gw.Start(); err != nil {
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	defer func() { _ = gw.Process.Signal(os.Interrupt); _ = gw.Wait() }()
	base := "http://" + gwAddr
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.clients * 2, MaxIdleConnsPerHost: cfg.clients * 2, IdleConnTimeout: time.Minute,
	}}
	if err := waitReady(ctx, client, base+"/ready", 20*time.Second); err != nil {
		return nil, fmt.Errorf("gateway: %w\n%s", err, gwLog.String())
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()

	// warm up connections and the gateway
	if _, err := submit(ctx, client, base, key, body); err != nil {
		return nil, fmt.Errorf("warm-up submit: %w\n%s", err, gwLog.String())
	}

	meter := cpuMeter{gateway: gw.Process.Pid, redis: redisCmd.Process.Pid}
	bare, err := bareEnqueue(ctx, meter, "bare", redisAddr, body, cfg)
	if err != nil {
		return nil, err
	}
	one := cfg
	one.clients = 1
	bare1, err := bareEnqueue(ctx, meter, "bare-1", redisAddr, body, one)
	if err != nil {
		return nil, err
	}
	load := httpLoad{cfg: cfg, meter: meter, client: client, base: base, key: key, wrk: wrkBin, dir: dir}
	bodyFile := filepath.Join(dir, "request.json")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return nil, fmt.Errorf("write request: %w", err)
	}
	sub, err := load.submit(ctx, body, bodyFile)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, gwLog.String())
	}
	ids, err := settledJobs(ctx, rdb)
	if err != nil || len(ids) == 0 {
		return nil, fmt.Errorf("no submitted job in Redis (%v)\n%s", err, gwLog.String())
	}
	status, err := load.status(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, gwLog.String())
	}
	// The HTTP ceiling of this machine: the cheapest route, no auth, no Redis.
	live, err := load.live(ctx)
	if err != nil {
		return nil, err
	}

	return &runResult{gateway: gwAddr, redis: redisAddr, bare: bare, bare1: bare1, submit: sub, status: status, live: live}, nil
}

// generator resolves -generator to the wrk binary to run ("": Go client).
func generator(name string) (string, error) {
	switch name {
	case "go":
		return "", nil
	case "wrk", "auto":
		bin, err := exec.LookPath("wrk")
		if err == nil {
			return bin, nil
		}
		if name == "wrk" {
			return "", fmt.Errorf("-generator wrk: %w", err)
		}
		fmt.Fprintln(os.Stderr, "loadtest: !!! wrk is not installed (apt-get install wrk): the HTTP phases use Go's net/http client, "+
			"which takes CPU from the gateway on a small machine")
		return "", nil
	}
	return "", fmt.Errorf("-generator %q: want wrk, go or auto", name)
}

// measure runs op from cfg.clients goroutines for cfg.duration, in this
// process.
func measure(ctx context.Context, meter cpuMeter, name string, cfg config, op func(context.Context) error) *phase {
	var mu sync.Mutex
	p := &phase{name: name}
	var latencies []time.Duration
	var wg sync.WaitGroup
	before := meter.snapshot()
	began := time.Now()
	deadline := began.Add(cfg.duration)
	for range cfg.clients {
		wg.Go(func() {
			var lat []time.Duration
			errs := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				if err := op(ctx); err != nil {
					errs++
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			p.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	p.elapsed = time.Since(began)
	p.cpu = meter.since(before, false)
	p.n = len(latencies)
	slices.Sort(latencies)
	p.p50, p.p99 = quantile(latencies, 0.50), quantile(latencies, 0.99)
	return p
}

// bareEnqueue measures asynq Client.Enqueue of tasks shaped like the
// gateway's (type, payload with the request, task id, queue, timeout,
// retry limit) on the same Redis.
func bareEnqueue(ctx context.Context, meter cpuMeter, name, redisAddr string, body []byte, cfg config) (*phase, error) {
	c := asynq.NewClient(asynq.RedisClientOpt{Addr: redisAddr, PoolSize: cfg.clients * 2})
	defer c.Close()
	p := measure(ctx, meter, name, cfg, func(ctx context.Context) error {
		id := randomHex(16)
		payload := []byte(`{"job_id":"` + id + `","principal":"admin","request":` + string(body) + `}`)
		_, err := c.EnqueueContext(ctx, asynq.NewTask("optimize", payload, asynq.TaskID("bare-"+id),
			asynq.Queue("low"), asynq.Timeout(2*time.Minute), asynq.MaxRetry(3)))
		return err
	})
	if p.n == 0 {
		return nil, fmt.Errorf("%s enqueue: no task enqueued", name)
	}
	return p, nil
}

// httpLoad runs the HTTP phases, with wrk when wrk is set, else with
// client from this process.
type httpLoad struct {
	cfg    config
	meter  cpuMeter
	client *http.Client
	base   string
	key    string
	wrk    string
	dir    string
}

// submit measures POST /v1/optimize of body (in bodyFile for wrk).
func (l httpLoad) submit(ctx context.Context, body []byte, bodyFile string) (*phase, error) {
	if l.wrk == "" {
		p := measure(ctx, l.meter, "submit", l.cfg, func(ctx context.Context) error {
			_, err := submit(ctx, l.client, l.base, l.key, body)
			return err
		})
		return p, nil
	}
	return l.runWrk(ctx, "submit", "/v1/optimize", wrkPost, "LT_BODY="+bodyFile)
}

// status measures GET /v1/jobs/{id} over ids, in turn.
func (l httpLoad) status(ctx context.Context, ids []string) (*phase, error) {
	if l.wrk == "" {
		var next sync.Mutex
		i := 0
		return measure(ctx, l.meter, "status", l.cfg, func(ctx context.Context) error {
			next.Lock()
			id := ids[i%len(ids)]
			i++
			next.Unlock()
			return get(ctx, l.client, l.base+"/v1/jobs/"+id, l.key)
		}), nil
	}
	idFile := filepath.Join(l.dir, "ids.txt")
	if err := os.WriteFile(idFile, []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write job ids: %w", err)
	}
	return l.runWrk(ctx, "status", "/v1/jobs/", wrkGetIDs, "LT_IDS="+idFile, "LT_PREFIX=/v1/jobs/")
}

// live measures GET /live.
func (l httpLoad) live(ctx context.Context) (*phase, error) {
	if l.wrk == "" {
		return measure(ctx, l.meter, "live", l.cfg, func(ctx context.Context) error { return get(ctx, l.client, l.base+"/live", "") }), nil
	}
	return l.runWrk(ctx, "live", "/live", "")
}

func (l httpLoad) runWrk(ctx context.Context, name, path, script string, env ...string) (*phase, error) {
	before := l.meter.snapshot()
	p, err := wrkRun{bin: l.wrk, dir: l.dir, url: l.base + path, script: script, env: append(env, "LT_KEY="+l.key)}.run(ctx, name, l.cfg)
	if err != nil {
		return nil, err
	}
	gen := p.cpu.gen
	p.cpu = l.meter.since(before, true)
	p.cpu.gen = gen
	return p, nil
}

// settledJobs returns the ids of the jobs submitted so far, read once the
// gateway has finished the submissions in flight when the load stopped:
// wrk closes its connections mid-request, and the gateway undoes (deletes)
// a job whose client left before its answer, possibly after its id was
// listed. Only ids whose record still exists are returned.
func settledJobs(ctx context.Context, rdb *redis.Client) ([]string, error) {
	var ids []string
	for prev, stable := -1, 0; stable < 3; {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		n, err := rdb.ZCard(ctx, jobstore.AllKey).Result()
		if err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		if int(n) == prev {
			stable++
		} else {
			prev, stable = int(n), 0
		}
	}
	all, err := rdb.ZRange(ctx, jobstore.AllKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	pipe := rdb.Pipeline()
	exists := make([]*redis.IntCmd, len(all))
	for i, id := range all {
		exists[i] = pipe.Exists(ctx, jobstore.JobKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("check jobs: %w", err)
	}
	for i, id := range all {
		if exists[i].Val() == 1 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func submit(ctx context.Context, c *http.Client, base, key string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/optimize", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("submit: %w", err)
	}
	req.Header.Set(adminHeader, key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("submit: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("submit: read: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("submit: %d %s", resp.StatusCode, b)
	}
	var j struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &j); err != nil || j.ID == "" {
		return "", fmt.Errorf("submit: no job id in %s", b)
	}
	return j.ID, nil
}

// get GETs url (with the admin key, when given) and wants 200.
func get(ctx context.Context, c *http.Client, url, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if key != "" {
		req.Header.Set(adminHeader, key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("status: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status: %d", resp.StatusCode)
	}
	return nil
}

func waitReady(ctx context.Context, c *http.Client, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("ready: %w", err)
		}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitTCP(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %v: %w", addr, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
