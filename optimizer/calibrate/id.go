package calibrate

import (
	"errors"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// ID returns the calibration id Run gives req, without sampling: a hash of
// the model version, the configuration (sport, site, seed, chains, draws,
// warmup, holdout fraction, minimum projection, defaults applied) and the
// canonical rows (order-independent). A cache keyed by it answers an
// identical request without running it. req must carry inline rows.
func ID(req *schema.CalibrateRequest) (string, error) {
	if req == nil {
		return "", errors.New("calibrate: nil request")
	}
	if len(req.Rows) == 0 {
		return "", ErrNoRows
	}
	chains, draws, warmup, holdout, minProj := req.Defaults()
	return calibrationID(strings.ToLower(req.Sport), strings.ToLower(req.Site), canonicalRows(req.Rows),
		req.Seed, chains, draws, warmup, holdout, minProj), nil
}
