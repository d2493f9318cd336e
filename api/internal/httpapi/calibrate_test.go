package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// TestReadyReportsCalibrationCache: /ready lists the calibration cache and
// answers 503 when it cannot be reached.
func TestReadyReportsCalibrationCache(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := redistest.New(t)
	cache := calibcache.New(r.Client, time.Hour, 10)
	cacheDown := false
	h := New(Deps{
		Log: zap.NewNop(), Registry: task.Standard(job.Services{}), Auth: auth.NewAuthenticator(admin, nil),
		Ready: func(ctx context.Context) error { return r.Client.Ping(ctx).Err() },
		ReadyChecks: map[string]Checker{"calibration_cache": func(ctx context.Context) error {
			if cacheDown {
				return errors.New("down")
			}
			return cache.Ping(ctx)
		}},
		MaxBodyBytes: 4096,
	})
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/ready", nil))
		return w
	}
	w := get()
	var body struct {
		Checks map[string]struct {
			Status string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); w.Code != http.StatusOK || err != nil ||
		body.Checks["calibration_cache"].Status != "ok" || body.Checks["redis"].Status != "ok" {
		t.Fatalf("ready: %d %s", w.Code, w.Body)
	}
	cacheDown = true
	w = get()
	if b := decodeError(t, w); w.Code != http.StatusServiceUnavailable || !strings.Contains(b.Error.Message, "calibration_cache") {
		t.Fatalf("cache down: %d %s", w.Code, w.Body)
	}
}

// TestSubmitCalibrate: POST /v1/calibrate queues a low-priority job;
// source.slate_ids naming a slate the store does not hold is refused with
// 422 naming the field.
func TestSubmitCalibrate(t *testing.T) {
	f := newFixture(t)
	row := `{"player_id":"1","position":"QB","team":"KC","date":"2024-W01","projection":20,"actual":25}`
	w := f.do("POST", "/v1/calibrate", admin, strings.NewReader(`{"sport":"nfl","rows":[`+row+`]}`))
	var j struct {
		Type, Queue, Status string
	}
	if err := json.Unmarshal(w.Body.Bytes(), &j); w.Code != http.StatusAccepted || err != nil ||
		j.Type != task.TypeCalibrate || j.Queue != "low" || j.Status != "queued" {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	w = f.do("POST", "/v1/calibrate", admin, strings.NewReader(`{"sport":"nfl","source":{"slate_ids":["s1"]}}`))
	b := decodeError(t, w)
	if w.Code != http.StatusUnprocessableEntity || len(b.Error.Details) == 0 || b.Error.Details[0].Field != "source.slate_ids[0]" ||
		!strings.Contains(b.Error.Message, "not found") {
		t.Fatalf("slate source: %d %s", w.Code, w.Body)
	}
}
