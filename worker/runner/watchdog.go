package runner

import (
	"fmt"
	"sync"
	"time"
)

// DefaultStuckGrace is how long a task may run past its Asynq deadline
// before the worker counts as hung.
const DefaultStuckGrace = time.Minute

// Watchdog tracks the tasks being processed and their deadlines, for the
// worker's liveness probe. A handler that keeps running long after its
// context's deadline ignores cancellation (a deadlock or a runaway loop):
// only a restart frees its slot.
type Watchdog struct {
	grace time.Duration
	now   func() time.Time

	mu      sync.Mutex
	seq     uint64
	running map[uint64]runningTask
}

type runningTask struct {
	id       string
	deadline time.Time
}

// NewWatchdog returns a watchdog tolerating grace past a task's deadline.
func NewWatchdog(grace time.Duration) *Watchdog {
	return &Watchdog{grace: grace, now: time.Now, running: map[uint64]runningTask{}}
}

// begin records a task start; call the returned function when it ends. A
// zero deadline is never overdue.
func (w *Watchdog) begin(id string, deadline time.Time) func() {
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.running[n] = runningTask{id: id, deadline: deadline}
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.running, n)
		w.mu.Unlock()
	}
}

// Running is the number of tasks being processed.
func (w *Watchdog) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// Check returns an error naming a task that has run more than the grace
// past its deadline, or nil.
func (w *Watchdog) Check() error {
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.running {
		if !t.deadline.IsZero() && now.Sub(t.deadline) > w.grace {
			return fmt.Errorf("task %s is %s past its deadline", t.id, now.Sub(t.deadline).Round(time.Second))
		}
	}
	return nil
}
