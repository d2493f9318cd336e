package contest

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time (the machine's cores
// are shared: CPU time shows the cost without the other tenants' load).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchContest times RunChunk over all sims of a generated DK NFL contest
// (12 games, 312 players) and reports lineup-sims per second (all lineups,
// entries + field, times sims), unique lineup-sims per CPU-second (distinct
// lineups of entries + field, each scored once per sim, over the process's
// user+system CPU time) and the additions of the physical limit.
func benchContest(b *testing.B, entries, field, sims int) {
	req := syntheticRequest(12, entries, field, sims, 9)
	p, err := Prepare(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		part, err := RunChunk(context.Background(), p, 0, p.Sims)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Merge(p, []Partial{part}); err != nil {
			b.Fatal(err)
		}
	}
	cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(cpu*1000, "cpu-ms/run")
	b.ReportMetric(float64(p.TotalLineups())*float64(sims)/cpu, "lineup-sims/cpu-s")
	lineupSims := float64(p.TotalLineups()) * float64(sims)
	b.ReportMetric(lineupSims/sec, "lineup-sims/s")
	b.ReportMetric(sec*1000, "ms/run")
	b.ReportMetric(float64(p.UniqueLineups())/float64(p.TotalLineups()), "unique-share")
	// Each distinct lineup is scored once per sim (duplicates are weights),
	// so this is the throughput of the work actually done.
	b.ReportMetric(float64(p.UniqueLineups())*float64(sims)/cpu, "unique-lineup-sims/cpu-s")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
}

// BenchmarkContestGoal is the goal case: 150 entries + a 10,000-lineup
// field × 10,000 sims (run with -benchtime=1x -count=N).
func BenchmarkContestGoal(b *testing.B) { benchContest(b, 150, 10000, 10000) }

// BenchmarkContestField shows time linear in the field size (2,000 sims).
func BenchmarkContestField(b *testing.B) {
	for _, f := range []int{2500, 5000, 10000, 20000, 40000} {
		b.Run(fmt.Sprintf("field=%d", f), func(b *testing.B) { benchContest(b, 150, f, 2000) })
	}
}

// BenchmarkContestSims shows time linear in the number of sims.
func BenchmarkContestSims(b *testing.B) {
	for _, s := range []int{1000, 2000, 4000, 8000} {
		b.Run(fmt.Sprintf("sims=%d", s), func(b *testing.B) { benchContest(b, 150, 10000, s) })
	}
}

// BenchmarkPrepare measures preparing the goal contest (field generation
// included).
func BenchmarkPrepare(b *testing.B) {
	req := syntheticRequest(12, 150, 10000, 10000, 9)
	for i := 0; i < b.N; i++ {
		if _, err := Prepare(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
