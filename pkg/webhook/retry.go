package webhook

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"
)

// Retry schedule defaults: delays double from the base up to an hour, and
// an event is retried for at most a day after its first attempt.
const (
	DefaultRetryBase = 5 * time.Second
	DefaultRetryCap  = time.Hour
	DefaultWindow    = 24 * time.Hour
)

// Backoff is the retry schedule of deliveries: the n-th retry (n from 0)
// waits Base·2ⁿ, at most Cap, times a jitter factor in [0.8, 1.2); no
// retry starts later than Window after the event's first attempt.
type Backoff struct {
	Base, Cap, Window time.Duration
}

// NewBackoff returns the schedule with base (DFSOPT_WEBHOOK_RETRY_BASE)
// and the default cap and window.
func NewBackoff(base time.Duration) Backoff {
	return Backoff{Base: base, Cap: max(DefaultRetryCap, base), Window: DefaultWindow}
}

// nominal is the delay before retry n without jitter.
func (b Backoff) nominal(n int) time.Duration {
	d := b.Base
	for range n {
		if d >= b.Cap {
			break
		}
		d *= 2
	}
	return min(d, b.Cap)
}

// Delay returns the delay before retry n (0-based), with jitter in [0, 1)
// spreading it over ±20%.
func (b Backoff) Delay(n int, jitter float64) time.Duration {
	return time.Duration(float64(b.nominal(n)) * (0.8 + 0.4*jitter))
}

// MaxRetry returns the number of retries whose nominal delays add up to at
// most Window: with the defaults (5 s base) 32 retries over about 23.4 h.
func (b Backoff) MaxRetry() int {
	var total time.Duration
	n := 0
	for {
		total += b.nominal(n)
		if total > b.Window {
			return n
		}
		n++
	}
}

// Jitter is a goroutine-safe source of jitter factors in [0, 1), from a
// seeded math/rand/v2 source.
type Jitter struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewJitter returns a jitter source seeded with seed.
func NewJitter(seed uint64) *Jitter {
	return &Jitter{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the next factor.
func (j *Jitter) Next() float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.r.Float64()
}

// RandomSeed returns a seed for NewJitter from crypto/rand (jitter only
// needs to differ between processes).
func RandomSeed() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
