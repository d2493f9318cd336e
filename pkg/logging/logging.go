// Package logging provides the dfsopt zap logger (JSON lines) and carries a
// request-scoped logger in a context.Context, so that every line logged for
// one request or task holds its request id.
package logging

import (
	"context"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a JSON logger writing to stderr at the given level, with the
// service name on every line.
func New(service string, level zapcore.Level) *zap.Logger {
	return NewTo(os.Stderr, service, level)
}

// NewTo is New writing to w.
func NewTo(w io.Writer, service string, level zapcore.Level) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	enc.EncodeTime = zapcore.TimeEncoderOfLayout(time.RFC3339Nano)
	enc.EncodeDuration = zapcore.MillisDurationEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core, zap.ErrorOutput(zapcore.Lock(zapcore.AddSync(w)))).With(zap.String("service", service))
}

type ctxKey struct{}

// With returns a context carrying the logger.
func With(ctx context.Context, l *zap.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the context's logger, or a no-op logger when it has none.
func From(ctx context.Context) *zap.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*zap.Logger); ok {
		return l
	}
	return zap.NewNop()
}
