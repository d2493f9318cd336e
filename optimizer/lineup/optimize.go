// Package lineup provides the exact DFS lineup optimizer.
package lineup

import (
	"context"
	"errors"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Progress receives the number of lineups done out of total.
type Progress func(done, total int)

// Optimize builds the lineups of an optimize request with inline players.
func Optimize(ctx context.Context, req *schema.OptimizeRequest, progress Progress) (*schema.OptimizeResult, error) {
	return nil, errors.New("lineup: not implemented yet")
}
