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
// targets: submit ≥ half the rate of a bare Enqueue loop, status ≥
// 5,000/s, p99 < 25 ms. The admin principal is exempt from the rate limits
// (DFSOPT_RATELIMIT_EXEMPT) and the active-job cap is raised for the run.
// -enforce makes a missed target exit 1.
//
// The HTTP phases run wrk (Debian's wrk: a C event loop, a fraction of the
// CPU of a Go client on the 2 cores the gateway and Redis share) when it
// is installed, else Go's net/http client, and say which.
//
// Usage (from the repository root, after make build):
//
//	go run ./api/internal/cmd/loadtest -gateway bin/gateway -request api/e2e/testdata/optimize-nba-tiny.json
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
	fs.StringVar(&cfg.requestFile, "request", "api/e2e/testdata/optimize-nba-tiny.json", "the optimize request document submitted")
	fs.StringVar(&cfg.generator, "generator", "auto", "HTTP load generator: wrk, go (net/http), or auto (wrk when on PATH)")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each phase (whole seconds with wrk)")
	fs.IntVar(&cfg.clients, "clients", 16, "concurrent clients per phase")
	fs.BoolVar(&cfg.enforce, "enforce", false, "exit 1 when a target is missed")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parse flags: %w", err)
	}
	body, err := os.ReadFile(cfg.requestFile)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if !json.Valid(body) {
		return fmt.Errorf("request %s is not JSON", cfg.requestFile)
	}
	wrkBin, err := generator(cfg.generator)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	redisAddr, err := freeAddr()
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(redisAddr)
	dir, err := os.MkdirTemp("", "dfsopt-loadtest")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	redisCmd := exec.CommandContext(ctx, cfg.redisServer, "--port", port, "--bind", host, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := redisCmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	defer func() { cancel(); _ = redisCmd.Wait() }()
	redisURL := "redis://" + redisAddr + "/0"
	if err := waitTCP(redisAddr, 10*time.Second); err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}

	gwAddr, err := freeAddr()
	if err != nil {
		return err
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
		return fmt.Errorf("start gateway: %w", err)
	}
	defer func() { _ = gw.Process.Signal(os.Interrupt); _ = gw.Wait() }()
	base := "http://" + gwAddr
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.clients * 2, MaxIdleConnsPerHost: cfg.clients * 2, IdleConnTimeout: time.Minute,
	}}
	if err := waitReady(ctx, client, base+"/ready", 20*time.Second); err != nil {
		return fmt.Errorf("gateway: %w\n%s", err, gwLog.String())
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()

	// warm up connections and the gateway
	if _, err := submit(ctx, client, base, key, body); err != nil {
		return fmt.Errorf("warm-up submit: %w\n%s", err, gwLog.String())
	}

	meter := cpuMeter{gateway: gw.Process.Pid, redis: redisCmd.Process.Pid}
	bare, err := bareEnqueue(ctx, meter, "bare", redisAddr, body, cfg)
	if err != nil {
		return err
	}
	one := cfg
	one.clients = 1
	bare1, err := bareEnqueue(ctx, meter, "bare-1", redisAddr, body, one)
	if err != nil {
		return err
	}
	load := httpLoad{cfg: cfg, meter: meter, client: client, base: base, key: key, wrk: wrkBin, dir: dir}
	bodyFile := filepath.Join(dir, "request.json")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return fmt.Errorf("write request: %w", err)
	}
	sub, err := load.submit(ctx, body, bodyFile)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, gwLog.String())
	}
	ids, err := rdb.ZRange(ctx, jobstore.AllKey, 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return fmt.Errorf("no submitted job in Redis (%v)\n%s", err, gwLog.String())
	}
	status, err := load.status(ctx, ids)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, gwLog.String())
	}
	// The HTTP ceiling of this machine: the cheapest route, no auth, no Redis.
	live, err := load.live(ctx)
	if err != nil {
		return err
	}

	gen := "wrk (" + wrkBin + ")"
	if wrkBin == "" {
		gen = "Go net/http client (install wrk for a lighter one)"
	}
	fmt.Fprintf(out, "loadtest: %d clients, %v per phase, gateway %s, Redis %s, no worker; HTTP load from %s\n", cfg.clients, cfg.duration, gwAddr, redisAddr, gen)
	fmt.Fprintf(out, "%-8s %10s %8s %10s %10s %28s\n", "phase", "ops/s", "errors", "p50", "p99", "CPU µs/op gateway redis gen")
	for _, p := range []*phase{bare, bare1, sub, status, live} {
		fmt.Fprintf(out, "%-8s %10.0f %8d %10v %10v %20.0f %5.0f %3.0f\n", p.name, p.rate(), p.errors, p.p50.Round(10*time.Microsecond), p.p99.Round(10*time.Microsecond),
			perOp(p.cpu.gateway, p.n), perOp(p.cpu.redis, p.n), perOp(p.cpu.gen, p.n))
	}
	ratio1, ratioN := sub.rate()/bare1.rate(), sub.rate()/bare.rate()
	fmt.Fprintf(out, "submit / bare Enqueue: %.2f of one loop, %.2f of %d concurrent loops\n", ratio1, ratioN, cfg.clients)
	checks := []struct {
		what string
		ok   bool
	}{
		{fmt.Sprintf("submit ≥ 0.5 × one bare Enqueue loop (%.2f)", ratio1), ratio1 >= 0.5},
		{fmt.Sprintf("submit ≥ 0.5 × %d concurrent bare Enqueue loops (%.2f)", cfg.clients, ratioN), ratioN >= 0.5},
		{fmt.Sprintf("status ≥ 5000/s (%.0f)", status.rate()), status.rate() >= 5000},
		{fmt.Sprintf("submit p99 < 25ms (%v)", sub.p99.Round(10*time.Microsecond)), sub.p99 < 25*time.Millisecond},
		{fmt.Sprintf("status p99 < 25ms (%v)", status.p99.Round(10*time.Microsecond)), status.p99 < 25*time.Millisecond},
		{fmt.Sprintf("no errors (submit %d, status %d)", sub.errors, status.errors), sub.errors == 0 && status.errors == 0},
	}
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
	return nil
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
