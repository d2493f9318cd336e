package lineup

import (
	"context"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func TestSmokeNFL(t *testing.T) {
	players := loadDK(t, dataDir+"dk-nfl-2019-09-08/DKSalaries.csv")
	req := &schema.OptimizeRequest{Site: "draftkings", Sport: "nfl", Players: players, Lineups: 60,
		Constraints: schema.Constraints{MinUnique: 3}}
	res, err := Optimize(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lineups=%d first=%v last=%v stats=%+v", len(res.Lineups), res.Lineups[0].Projection, res.Lineups[len(res.Lineups)-1].Projection, res.Stats)
	t.Logf("%+v", res.Lineups[0])
}
