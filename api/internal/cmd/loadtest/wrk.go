package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The wrk scripts of the HTTP phases. wrk runs one Lua state per thread;
// each reads its inputs from the environment.
const (
	// wrkPost POSTs the document in LT_BODY with the key in LT_KEY.
	wrkPost = `wrk.method = "POST"
local f = assert(io.open(os.getenv("LT_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("LT_KEY")
`
	// wrkGetIDs GETs LT_PREFIX .. id for the ids in LT_IDS (one per line),
	// in turn, with the key in LT_KEY.
	wrkGetIDs = `local ids = {}
for line in io.lines(os.getenv("LT_IDS")) do ids[#ids + 1] = line end
local prefix = os.getenv("LT_PREFIX")
wrk.headers["X-API-Key"] = os.getenv("LT_KEY")
local i = math.random(#ids)
request = function()
  i = i % #ids + 1
  return wrk.format("GET", prefix .. ids[i])
end
`
)

// wrkRun is one wrk run against url with a Lua script (none: plain GETs)
// and its environment; dir holds the script file.
type wrkRun struct {
	bin, dir, url, script string
	env                   []string
}

// run runs wrk for cfg.duration with cfg.clients connections and reads
// its report: requests answered 2xx (or 3xx) per second, their p50 and p99,
// and the other answers and socket errors as errors. The phase's gen CPU
// is wrk's own.
func (w wrkRun) run(ctx context.Context, name string, cfg config) (*phase, error) {
	threads := min(2, cfg.clients)
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(cfg.clients),
		"-d", fmt.Sprintf("%.0fs", cfg.duration.Seconds()), "--timeout", "10s", "--latency"}
	if w.script != "" {
		path := filepath.Join(w.dir, name+".lua")
		if err := os.WriteFile(path, []byte(w.script), 0o600); err != nil {
			return nil, fmt.Errorf("%s: write wrk script: %w", name, err)
		}
		args = append(args, "-s", path)
	}
	cmd := exec.CommandContext(ctx, w.bin, append(args, w.url)...)
	cmd.Env = append(os.Environ(), w.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: wrk: %w\n%s%s", name, err, stdout.String(), stderr.String())
	}
	p, err := parseWrk(name, stdout.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", name, err, stdout.String())
	}
	p.cpu.gen = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return p, nil
}

// parseWrk reads wrk's --latency report.
func parseWrk(name, report string) (*phase, error) {
	p := &phase{name: name}
	var total, non2xx int
	var seen struct{ total, p50, p99 bool }
	sc := bufio.NewScanner(strings.NewReader(report))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "50%":
			d, err := wrkDuration(f[1])
			if err != nil {
				return nil, err
			}
			p.p50, seen.p50 = d, true
		case len(f) == 2 && f[0] == "99%":
			d, err := wrkDuration(f[1])
			if err != nil {
				return nil, err
			}
			p.p99, seen.p99 = d, true
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return nil, fmt.Errorf("wrk request count %q: %w", f[0], err)
			}
			d, err := wrkDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return nil, err
			}
			total, p.elapsed, seen.total = n, d, true
		case len(f) == 5 && f[0] == "Non-2xx":
			n, err := strconv.Atoi(f[4])
			if err != nil {
				return nil, fmt.Errorf("wrk non-2xx count %q: %w", f[4], err)
			}
			non2xx = n
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, err := strconv.Atoi(strings.TrimSuffix(f[i], ","))
				if err != nil {
					return nil, fmt.Errorf("wrk socket errors %q: %w", sc.Text(), err)
				}
				p.errors += n
			}
		}
	}
	if !seen.total || !seen.p50 || !seen.p99 || p.elapsed <= 0 {
		return nil, fmt.Errorf("wrk report without a request count, a duration or latency percentiles")
	}
	p.errors += non2xx
	p.n = max(total-non2xx, 0)
	return p, nil
}

// wrkDuration parses wrk's durations ("812.00us", "3.21ms", "1.02s", "1.00m").
func wrkDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("wrk duration %q: %w", s, err)
	}
	return d, nil
}
