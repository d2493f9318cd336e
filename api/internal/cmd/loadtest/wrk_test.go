package main

import (
	"os"
	"testing"
	"time"
)

const wrkReport = `Running 5s test @ http://127.0.0.1:36469/v1/optimize
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.74ms    1.77ms  27.06ms   81.15%
    Req/Sec     2.16k   202.83     2.58k    72.00%
  Latency Distribution
     50%    3.49ms
     75%    4.30ms
     90%    5.50ms
     99%    8.94ms
  21476 requests in 5.00s, 16.19MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:   4293.34
Transfer/sec:      3.24MB
`

// TestParseWrk: requests answered 2xx per second, the percentiles, and
// the other answers and socket errors as errors.
func TestParseWrk(t *testing.T) {
	p, err := parseWrk("submit", wrkReport)
	if err != nil {
		t.Fatal(err)
	}
	if p.n != 21476-12 || p.errors != 12+3 || p.elapsed != 5*time.Second {
		t.Fatalf("n %d errors %d elapsed %v", p.n, p.errors, p.elapsed)
	}
	if p.p50 != 3490*time.Microsecond || p.p99 != 8940*time.Microsecond {
		t.Fatalf("p50 %v p99 %v", p.p50, p.p99)
	}
	if _, err := parseWrk("submit", "Running 5s test @ http://x/\n  unable to connect to x\n"); err == nil {
		t.Fatal("a report without figures parsed")
	}
	us, err := parseWrk("live", "  Latency Distribution\n     50%  812.00us\n     99%    1.02s\n  9 requests in 1.00m, 1KB read\n")
	if err != nil || us.p50 != 812*time.Microsecond || us.p99 != 1020*time.Millisecond || us.elapsed != time.Minute || us.n != 9 {
		t.Fatalf("%+v %v", us, err)
	}
}

// TestProcCPU: this process's CPU time grows as it works.
func TestProcCPU(t *testing.T) {
	before, ok := procCPU(os.Getpid())
	if !ok {
		t.Skip("no /proc here: the load test reports no CPU figures on this system")
	}
	// Read it in a loop (the reads cost CPU) until the clock-tick counter
	// moves (10 ms), for at most 5 s.
	after, deadline := before, time.Now().Add(5*time.Second)
	for after <= before && time.Now().Before(deadline) {
		after, _ = procCPU(os.Getpid())
	}
	if after <= before {
		t.Fatalf("CPU time %v then %v", before, after)
	}
}

// TestMedianOf: each figure is the median over the runs (the ratios too,
// not recomputed from median rates); errors are summed.
func TestMedianOf(t *testing.T) {
	run := func(submit, bare1 float64, errs int, p99 time.Duration) figures {
		var f figures
		for i := range f.phases {
			f.phases[i] = phaseFigures{name: "p", rate: 100, gateway: 10}
		}
		f.phases[phaseSubmit] = phaseFigures{name: "submit", rate: submit, errors: errs, p99: p99, gateway: submit / 10}
		f.phases[phaseBare1] = phaseFigures{name: "bare-1", rate: bare1}
		f.one = submit / bare1
		return f
	}
	m := medianOf([]figures{run(50, 100, 0, 3*time.Millisecond), run(60, 200, 1, time.Millisecond), run(40, 50, 2, 2*time.Millisecond)})
	sub := m.phases[phaseSubmit]
	if sub.rate != 50 || sub.p99 != 2*time.Millisecond || sub.gateway != 5 || sub.errors != 3 {
		t.Fatalf("submit medians %+v", sub)
	}
	if m.phases[phaseBare1].rate != 100 || m.one != 0.5 { // ratios 0.5, 0.3, 0.8
		t.Fatalf("bare-1 %v, ratio %v", m.phases[phaseBare1].rate, m.one)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Fatalf("median of an even count: %v", got)
	}
}
