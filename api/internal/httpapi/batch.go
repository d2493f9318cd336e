package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dfsopt/dfsopt/api/internal/jobs"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/requestid"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// MaxBatchJobs caps the items of one POST /v1/batch.
const MaxBatchJobs = 100

// batchRequest is the body of POST /v1/batch.
type batchRequest struct {
	Jobs []batchItem `json:"jobs"`
}

// batchItem is one job of a batch: its type and request document.
type batchItem struct {
	Type    string          `json:"type"`
	Request json.RawMessage `json:"request"`
}

// BatchResult is the outcome of one item of a batch: the job (status 202)
// or the error body its own submission would have answered.
type BatchResult struct {
	Index  int           `json:"index"`
	Status int           `json:"status"`
	Job    *jobstore.Job `json:"job,omitempty"`
	Error  *ErrorInfo    `json:"error,omitempty"`
}

// batch submits each item on its own and answers 207 with one result per
// item, in order. Every item counts against the submit rate limit (the
// whole batch is refused with 429 when they do not all fit).
func (h *handlers) batch(c *gin.Context) {
	if _, ok := c.Request.Header[IdempotencyHeader]; ok {
		abort(c, &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
			message: "Idempotency-Key is not supported on POST /v1/batch; submit the jobs one by one to use it",
			details: []ErrorDetail{{Field: IdempotencyHeader, Reason: "unsupported"}}})
		return
	}
	var req batchRequest
	if err := decodeStrict(c, &req, "request"); err != nil {
		abort(c, err)
		return
	}
	if len(req.Jobs) == 0 || len(req.Jobs) > MaxBatchJobs {
		abort(c, &httpError{status: http.StatusUnprocessableEntity, code: CodeInvalidRequest,
			message: "jobs must hold between 1 and " + strconv.Itoa(MaxBatchJobs) + " items",
			details: []ErrorDetail{{Field: "jobs", Reason: "out_of_range"}}})
		return
	}
	if err := h.checkItems(req.Jobs); err != nil {
		abort(c, err)
		return
	}
	p, _ := principalOf(c)
	if err := h.limitItems(c, p, len(req.Jobs)-1); err != nil { // the request itself counted one
		abort(c, err)
		return
	}
	results := make([]BatchResult, len(req.Jobs))
	for i, it := range req.Jobs {
		results[i] = h.batchItem(c, p, i, it)
	}
	c.JSON(http.StatusMultiStatus, batchResponse{Results: results})
}

// checkItems refuses, whole, a batch whose items do not have the form the
// schema gives them: a known type and a request that is a JSON object.
// What a request document says is checked when it is submitted, item by
// item.
func (h *handlers) checkItems(items []batchItem) error {
	var types []string
	for _, k := range h.d.Registry.Kinds() {
		types = append(types, k.Type)
	}
	var l []schema.FieldError
	for i, it := range items {
		at := "jobs[" + strconv.Itoa(i) + "]"
		if _, ok := h.d.Registry.Lookup(it.Type); !ok {
			l = append(l, schema.FieldError{Field: at + ".type", Reason: schema.ReasonInvalid,
				Message: fmt.Sprintf("%s.type must be one of %s, not %q", at, strings.Join(types, ", "), it.Type)})
		}
		switch req := bytes.TrimLeft(it.Request, " \t\r\n"); {
		case len(req) == 0:
			l = append(l, schema.FieldError{Field: at + ".request", Reason: schema.ReasonRequired, Message: at + ".request is required"})
		case req[0] != '{':
			l = append(l, schema.FieldError{Field: at + ".request", Reason: schema.ReasonType, Message: at + ".request must be an object (the request document of its type)"})
		}
	}
	if len(l) > 0 {
		return &schema.ValidationError{Errors: l}
	}
	return nil
}

// batchResponse is the 207 answer of POST /v1/batch (BatchResponse).
type batchResponse struct {
	Results []BatchResult `json:"results"`
}

// limitItems counts n more submissions of p against the submit rate.
func (h *handlers) limitItems(c *gin.Context, p auth.Principal, n int) error {
	lim := h.d.Limits.Submit
	if h.d.Limiter == nil || lim.Rate == 0 || n <= 0 || h.d.Limits.exempt(p.ID) {
		return nil
	}
	dec, err := h.d.Limiter.AllowN(c.Request.Context(), classSubmit, p.ID, lim, n)
	if err != nil {
		return &limiterDownError{err: err}
	}
	setRateHeaders(c.Writer.Header(), classSubmit, dec)
	if !dec.Allowed {
		c.Header("Retry-After", strconv.Itoa(ceilSeconds(dec.RetryAfter.Seconds())))
		return &rateLimitedError{class: classSubmit, limit: lim}
	}
	return nil
}

func (h *handlers) batchItem(c *gin.Context, p auth.Principal, i int, it batchItem) BatchResult {
	fail := func(err error) BatchResult {
		status, info := errorFor(err)
		info.RequestID = requestid.From(c.Request.Context())
		return BatchResult{Index: i, Status: status, Error: &info}
	}
	k, _ := h.d.Registry.Lookup(it.Type) // checkItems found it
	if k.Type == task.TypeCalibrate {
		if err := p.Require(auth.ScopeCalibrate); err != nil {
			return fail(err)
		}
	}
	j, err := h.d.Jobs.Submit(c.Request.Context(), jobs.Submission{Kind: k, Body: it.Request, Principal: p, Traceparent: traceparentOf(c), NoCache: noCache(c)})
	if err != nil {
		return fail(err)
	}
	if h.d.JobMetrics != nil {
		h.d.JobMetrics.Submitted(j.Type, j.Queue)
	}
	return BatchResult{Index: i, Status: http.StatusAccepted, Job: jobDoc(j)}
}
