// Command loadtest is a bounded load test of the gateway on loopback: it
// starts a redis-server and the gateway binary (no worker: submitted jobs
// just queue), then, each phase for a fixed duration with a fixed number
// of concurrent clients, measures
//
//   - bare: a loop of asynq Client.Enqueue on the same Redis (the ceiling a
//     submit can approach: a submit is one enqueue plus auth, rate limit,
//     validation and the job record);
//   - submit: POST /v1/optimize with the admin key;
//   - status: GET /v1/jobs/{id} of the submitted jobs;
//   - live: GET /live, no auth and no Redis (the HTTP ceiling of the
//     machine, for reference);
//
// and prints requests/s, p50 and p99 latency per phase, the ratio of submit
// to bare-enqueue throughput, and the targets (submit ≥ half the
// bare rate, status ≥ 5,000/s, p99 < 25 ms). The admin principal is exempt
// from the rate limits (DFSOPT_RATELIMIT_EXEMPT) and the active-job cap
// is raised for the run. -enforce makes a missed target exit 1.
//
// The ceiling is measured twice: "bare" with as many concurrent loops as
// there are clients (the target's ratio: same concurrency on both sides),
// and "bare-1", one sequential Enqueue loop, shown for reference.
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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

const adminHeader = "X-API-Key"

// config is the command line.
type config struct {
	gatewayBin  string
	redisServer string
	requestFile string
	duration    time.Duration
	clients     int
	enforce     bool
}

// phase is what one phase measured.
type phase struct {
	name      string
	n         int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration
}

// rate is the phase's successful operations per second.
func (p *phase) rate() float64 { return float64(p.n) / p.elapsed.Seconds() }

// quantile returns the q-quantile of the latencies (nearest rank).
func (p *phase) quantile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(p.latencies))+0.5) - 1
	return p.latencies[min(max(i, 0), len(p.latencies)-1)]
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
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each phase")
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

	// warm up connections and the gateway
	if _, err := submit(ctx, client, base, key, body); err != nil {
		return fmt.Errorf("warm-up submit: %w\n%s", err, gwLog.String())
	}

	bare, err := bareEnqueue(ctx, "bare", redisAddr, body, cfg)
	if err != nil {
		return err
	}
	one := cfg
	one.clients = 1
	bare1, err := bareEnqueue(ctx, "bare-1", redisAddr, body, one)
	if err != nil {
		return err
	}
	var idsMu sync.Mutex
	var ids []string
	sub := measure(ctx, "submit", cfg, func(ctx context.Context) error {
		id, err := submit(ctx, client, base, key, body)
		if err != nil {
			return err
		}
		idsMu.Lock()
		ids = append(ids, id)
		idsMu.Unlock()
		return nil
	})
	if len(ids) == 0 {
		return fmt.Errorf("no submit succeeded\n%s", gwLog.String())
	}
	var next sync.Mutex
	i := 0
	status := measure(ctx, "status", cfg, func(ctx context.Context) error {
		next.Lock()
		id := ids[i%len(ids)]
		i++
		next.Unlock()
		return getStatus(ctx, client, base, key, id)
	})
	// The HTTP ceiling of this machine: the cheapest route, no auth, no Redis.
	live := measure(ctx, "live", cfg, func(ctx context.Context) error { return get(ctx, client, base+"/live", "") })

	fmt.Fprintf(out, "loadtest: %d clients, %v per phase, gateway %s, Redis %s, no worker\n", cfg.clients, cfg.duration, gwAddr, redisAddr)
	fmt.Fprintf(out, "%-8s %10s %8s %10s %10s\n", "phase", "ops/s", "errors", "p50", "p99")
	for _, p := range []*phase{bare, bare1, sub, status, live} {
		fmt.Fprintf(out, "%-8s %10.0f %8d %10v %10v\n", p.name, p.rate(), p.errors, p.quantile(0.50).Round(10*time.Microsecond), p.quantile(0.99).Round(10*time.Microsecond))
	}
	ratio := sub.rate() / bare.rate()
	fmt.Fprintf(out, "submit / bare enqueue: %.2f (%d loops); submit / bare-1: %.2f\n", ratio, cfg.clients, sub.rate()/bare1.rate())
	checks := []struct {
		what string
		ok   bool
	}{
		{fmt.Sprintf("submit ≥ 0.5 × bare enqueue (%.2f)", ratio), ratio >= 0.5},
		{fmt.Sprintf("status ≥ 5000/s (%.0f)", status.rate()), status.rate() >= 5000},
		{fmt.Sprintf("submit p99 < 25ms (%v)", sub.quantile(0.99).Round(10*time.Microsecond)), sub.quantile(0.99) < 25*time.Millisecond},
		{fmt.Sprintf("status p99 < 25ms (%v)", status.quantile(0.99).Round(10*time.Microsecond)), status.quantile(0.99) < 25*time.Millisecond},
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

// measure runs op from cfg.clients goroutines for cfg.duration.
func measure(ctx context.Context, name string, cfg config, op func(context.Context) error) *phase {
	var mu sync.Mutex
	p := &phase{name: name}
	var wg sync.WaitGroup
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
			p.latencies = append(p.latencies, lat...)
			p.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	p.elapsed = time.Since(began)
	p.n = len(p.latencies)
	slices.Sort(p.latencies)
	return p
}

// bareEnqueue measures asynq Client.Enqueue of tasks shaped like the
// gateway's (type, payload with the request, task id, queue, timeout,
// retry limit) on the same Redis.
func bareEnqueue(ctx context.Context, name, redisAddr string, body []byte, cfg config) (*phase, error) {
	c := asynq.NewClient(asynq.RedisClientOpt{Addr: redisAddr, PoolSize: cfg.clients * 2})
	defer c.Close()
	p := measure(ctx, name, cfg, func(ctx context.Context) error {
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

func getStatus(ctx context.Context, c *http.Client, base, key, id string) error {
	return get(ctx, c, base+"/v1/jobs/"+id, key)
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
