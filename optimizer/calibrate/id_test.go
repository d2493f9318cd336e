package calibrate

import (
	"context"
	"errors"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// TestIDMatchesRun: ID predicts Run's calibration id, so a cache keyed by
// it serves identical requests.
func TestIDMatchesRun(t *testing.T) {
	rows := synthetic(3, 60, synthTruth, synthCorr)
	req := &schema.CalibrateRequest{Sport: "NFL", Site: "DraftKings", Rows: rows, Draws: 100, Warmup: 100, Chains: 2, Seed: 4}
	res, err := Run(context.Background(), req, nil)
	var nc *NotConvergedError
	if errors.As(err, &nc) {
		res = nc.Result
	} else if err != nil {
		t.Fatal(err)
	}
	id, err := ID(req)
	if err != nil || id != res.CalibrationID {
		t.Fatalf("ID = %q, %v; Run gave %q", id, err, res.CalibrationID)
	}
	other := *req
	other.Draws = 200
	if id2, _ := ID(&other); id2 == id {
		t.Error("another draw count kept the id")
	}
	if _, err := ID(&schema.CalibrateRequest{Sport: "nfl"}); !errors.Is(err, ErrNoRows) {
		t.Errorf("no rows: %v", err)
	}
	if _, err := ID(nil); err == nil {
		t.Error("nil request: no error")
	}
}
