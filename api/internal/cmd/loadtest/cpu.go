package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100
// on every Linux architecture Go supports).
const userHZ = 100

// cpuUse is the CPU time each process of a phase spent in it.
type cpuUse struct {
	gateway, redis, gen time.Duration
}

// perOp returns d per operation of p, in µs (0 without operations).
func perOp(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

// procCPU returns the user plus system CPU time process pid has used, from
// /proc (Linux); ok is false elsewhere or when it cannot be read.
func procCPU(pid int) (d time.Duration, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after its closing parenthesis. utime and stime are
	// fields 14 and 15, the 12th and 13th after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * time.Second / userHZ, true
}

// cpuMeter reads the CPU time of the gateway, redis-server and the load
// generator (this process, unless the phase runs an external one).
type cpuMeter struct {
	gateway, redis int
}

// snapshot returns the processes' CPU times now.
func (m cpuMeter) snapshot() cpuUse {
	g, _ := procCPU(m.gateway)
	r, _ := procCPU(m.redis)
	self, _ := procCPU(os.Getpid())
	return cpuUse{gateway: g, redis: r, gen: self}
}

// since returns the CPU used from before to now; gen is left as measured
// by the caller when external (wrk reports its own).
func (m cpuMeter) since(before cpuUse, externalGen bool) cpuUse {
	now := m.snapshot()
	u := cpuUse{gateway: now.gateway - before.gateway, redis: now.redis - before.redis}
	if !externalGen {
		u.gen = now.gen - before.gen
	}
	return u
}
