package jobs

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
)

// The submit path without HTTP against its ceiling, on the same Redis:
// BenchmarkSubmit runs Service.Submit (decode, validate, cache key, the
// one-script record, the enqueue, batched confirmations) from parallel
// goroutines; BenchmarkBareEnqueue asynq Client.Enqueue of a task of the
// same shape. Compare their ns/op in one run:
//
//	go test -run '^$' -bench 'Submit$|BareEnqueue' -count 5 ./api/internal/jobs

// benchBody is the load test's request (api/e2e/testdata).
func benchBody(b *testing.B) []byte {
	body, err := os.ReadFile("../../e2e/testdata/optimize-nba-tiny.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkSubmit(b *testing.B) {
	f := newFixture(b)
	s := f.service(f.client)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go s.RunConfirmations(ctx, zap.NewNop())
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Submit(ctx, Submission{Kind: f.kind, Body: body, Principal: alice}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBareEnqueue(b *testing.B) {
	f := newFixture(b)
	body := benchBody(b)
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := "bare-" + strconv.FormatInt(n.Add(1), 10)
			payload := []byte(`{"job_id":"` + id + `","principal":"alice","request":` + string(body) + `}`)
			if _, err := f.client.Enqueue(asynq.NewTask("optimize", payload, asynq.TaskID(id),
				asynq.Queue("low"), asynq.Timeout(2*time.Minute), asynq.MaxRetry(3))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
