package httpapi

import (
	"errors"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/api/internal/jobs"
	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/requestid"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
)

// Error codes of the error body.
const (
	CodeInvalidRequest  = "invalid_request"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeMethodNotAllow  = "method_not_allowed"
	CodeConflict        = "conflict"
	CodeTooLarge        = "payload_too_large"
	CodeRateLimited     = "rate_limited"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
)

// ErrorBody is the body of every non-2xx answer.
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo describes what went wrong.
type ErrorInfo struct {
	Code      string        `json:"code"`
	Message   string        `json:"message"`
	Details   []ErrorDetail `json:"details,omitempty"`
	RequestID string        `json:"request_id"`
}

// ErrorDetail names one offending field.
type ErrorDetail struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// httpError is an error the HTTP layer itself raises, with its status.
type httpError struct {
	status  int
	code    string
	message string
	details []ErrorDetail
}

func (e *httpError) Error() string { return e.message }

func errStatus(status int, code, msg string) error {
	return &httpError{status: status, code: code, message: msg}
}

// errorFor maps any error to its status and error info: the one place
// where typed errors become HTTP codes.
func errorFor(err error) (int, ErrorInfo) {
	var he *httpError
	var ve *schema.ValidationError
	var nr *jobs.NotReadyError
	var netErr net.Error
	var scopeErr *auth.ScopeError
	var tooMany *jobs.TooManyJobsError
	var limited *rateLimitedError
	var limiterDown *limiterDownError
	switch {
	case errors.As(err, &he):
		return he.status, ErrorInfo{Code: he.code, Message: he.message, Details: he.details}
	case errors.As(err, &ve):
		info := ErrorInfo{Code: CodeInvalidRequest, Message: ve.Error()}
		status := http.StatusUnprocessableEntity
		for _, fe := range ve.Errors {
			info.Details = append(info.Details, ErrorDetail{Field: fe.Field, Reason: fe.Reason})
			switch fe.Reason {
			case schema.ReasonSyntax, schema.ReasonType, schema.ReasonUnknown:
				status = http.StatusBadRequest // not a well-formed document
			}
		}
		if len(ve.Errors) == 1 && ve.Errors[0].Reason == schema.ReasonRequired && ve.Errors[0].Field == "" {
			status = http.StatusBadRequest // empty body
		}
		return status, info
	case errors.Is(err, auth.ErrUnauthenticated):
		// One message whatever the reason (unknown, revoked, expired,
		// forged): the reason is logged at debug level only.
		return http.StatusUnauthorized, ErrorInfo{Code: CodeUnauthenticated,
			Message: "missing or invalid credentials: send X-API-Key or Authorization: Bearer <token>"}
	case errors.As(err, &scopeErr):
		return http.StatusForbidden, ErrorInfo{Code: CodeForbidden, Message: scopeErr.Error(),
			Details: []ErrorDetail{{Field: "scope", Reason: scopeErr.Scope}}}
	case errors.Is(err, auth.ErrForbidden):
		return http.StatusForbidden, ErrorInfo{Code: CodeForbidden, Message: err.Error()}
	case errors.As(err, &limited):
		return http.StatusTooManyRequests, ErrorInfo{Code: CodeRateLimited, Message: limited.Error()}
	case errors.As(err, &tooMany):
		return http.StatusTooManyRequests, ErrorInfo{Code: CodeRateLimited, Message: tooMany.Error(),
			Details: []ErrorDetail{{Field: "principal", Reason: "too_many_active_jobs"}}}
	case errors.As(err, &limiterDown):
		return http.StatusServiceUnavailable, ErrorInfo{Code: CodeUnavailable,
			Message: "the rate limiter is unavailable (Redis unreachable): writes are refused until it is back; try again"}
	case errors.Is(err, auth.ErrUserNotFound):
		return http.StatusNotFound, ErrorInfo{Code: CodeNotFound, Message: err.Error()}
	case errors.Is(err, auth.ErrUserExists):
		return http.StatusConflict, ErrorInfo{Code: CodeConflict, Message: err.Error()}
	case errors.Is(err, jobstore.ErrNotFound):
		return http.StatusNotFound, ErrorInfo{Code: CodeNotFound, Message: "job not found"}
	case errors.Is(err, auth.ErrKeyNotFound):
		return http.StatusNotFound, ErrorInfo{Code: CodeNotFound, Message: err.Error()}
	case errors.As(err, &nr) && nr.Failure != nil && (nr.Failure.Code == job.CodeInvalidRequest || nr.Failure.Code == job.CodeInfeasible):
		// The request was well formed but is invalid or cannot be satisfied
		// (no lineup meets its rules): 422 with the job's own message and the
		// fields the compute named, as a 422 at submission would.
		info := ErrorInfo{Code: CodeInvalidRequest, Message: nr.Failure.Message}
		for _, fe := range nr.Failure.Details {
			info.Details = append(info.Details, ErrorDetail{Field: fe.Field, Reason: fe.Reason})
		}
		return http.StatusUnprocessableEntity, info
	case errors.As(err, &nr):
		return http.StatusConflict, ErrorInfo{Code: CodeConflict, Message: nr.Error()}
	case errors.Is(err, jobs.ErrIdempotencyConflict):
		return http.StatusConflict, ErrorInfo{Code: CodeConflict, Message: err.Error(),
			Details: []ErrorDetail{{Field: "Idempotency-Key", Reason: "reused"}}}
	case errors.Is(err, jobstore.ErrFinished):
		return http.StatusConflict, ErrorInfo{Code: CodeConflict, Message: "the job already finished and cannot be canceled"}
	case errors.Is(err, slatestore.ErrUnavailable):
		return http.StatusServiceUnavailable, ErrorInfo{Code: CodeUnavailable, Message: "the slate store is unavailable; try again"}
	case errors.Is(err, jobs.ErrUnavailable):
		return http.StatusServiceUnavailable, ErrorInfo{Code: CodeUnavailable, Message: "the job queue is unavailable; try again"}
	case errors.As(err, &netErr):
		return http.StatusServiceUnavailable, ErrorInfo{Code: CodeUnavailable, Message: "a backing service is unreachable; try again"}
	}
	return http.StatusInternalServerError, ErrorInfo{Code: CodeInternal, Message: "internal error"}
}

// abort answers with the error body of err and stops the handler chain.
func abort(c *gin.Context, err error) {
	status, info := errorFor(err)
	info.RequestID = requestid.From(c.Request.Context())
	if status >= 500 {
		logging.From(c.Request.Context()).Error("request failed", zap.Int("status", status), zap.Error(err))
	}
	_ = c.Error(err)
	c.AbortWithStatusJSON(status, ErrorBody{Error: info})
}
