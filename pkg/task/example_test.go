package task_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// echoRequest is a toy request document.
type echoRequest struct {
	Text string `json:"text"`
	schema.JobOptions
}

// Validate names the offending field, as every request document does.
func (r *echoRequest) Validate() error {
	if r.Text == "" {
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: "text", Reason: schema.ReasonRequired, Message: "text is required"}}}
	}
	return nil
}

type echoResult struct {
	Text string `json:"text"`
}

// A new job type is one compute kind (job.Define) plus its limits: the
// gateway serves it on its path, validates with the document's Validate,
// and the worker runs its compute function on its queue and time limit.
func ExampleNewRegistry() {
	echo := job.Define[echoRequest, echoResult]("echo", "/v1/echo",
		func(r *echoRequest) schema.JobOptions { return r.JobOptions },
		func(ctx context.Context, r *echoRequest, progress job.Progress) (*echoResult, error) {
			progress(1, 1, "echoing")
			return &echoResult{Text: r.Text}, nil
		})
	kinds, err := job.NewRegistry(echo)
	if err != nil {
		panic(err)
	}
	reg, err := task.NewRegistry(kinds, map[string]task.Limits{
		"echo": {DefaultQueue: task.QueueLow, DefaultTimeout: time.Minute, MaxTimeout: 10 * time.Minute, MaxRetry: 1},
	})
	if err != nil {
		panic(err)
	}
	k, _ := reg.Lookup("echo")

	_, err = k.Decode([]byte(`{"txt":"hi"}`))
	var ve *schema.ValidationError
	fmt.Println(errors.As(err, &ve), ve.Errors[0].Field)

	req, _ := k.Decode([]byte(`{"text":"hi","priority":"critical"}`))
	res, _ := k.Run(context.Background(), req, func(int, int, string) {})
	fmt.Println(k.Queue(req, time.Now()), k.Timeout(req), res.(*echoResult).Text)
	// Output:
	// true txt
	// critical 1m0s hi
}
