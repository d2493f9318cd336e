package calibrate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Example calibrates from CSV rows, then asks the calibrated model for a
// player's outcome distribution and a stack correlation, as the simulation
// engine does.
func Example() {
	var b strings.Builder
	b.WriteString("player_id,position,team,opponent,game,date,projection,actual\n")
	r := rand.New(rand.NewPCG(1, 2))
	for week := range 30 {
		for g := range 6 {
			for _, team := range []string{"H", "A"} {
				qb := 18 + 6*r.Float64()
				wr := 8 + 8*r.Float64()
				noise := r.NormFloat64()
				fmt.Fprintf(&b, "q%d%s,QB,%s%d,X,A%d@H%d,2030-W%02d,%.2f,%.2f\n", g, team, team, g, g, g, week, qb, 0.95*qb+6*noise+2*r.ExpFloat64()-2)
				fmt.Fprintf(&b, "w%d%s,WR,%s%d,X,A%d@H%d,2030-W%02d,%.2f,%.2f\n", g, team, team, g, g, g, week, wr, wr+3*noise+4*r.NormFloat64()+5*r.ExpFloat64()-5)
			}
		}
	}
	rows, err := calibrate.ReadRows(strings.NewReader(b.String()))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := calibrate.Run(context.Background(), &schema.CalibrateRequest{Sport: "nfl", Rows: rows, Seed: 1}, nil)
	var nc *calibrate.NotConvergedError
	if errors.As(err, &nc) {
		fmt.Println("not converged:", nc.Failed)
		return
	} else if err != nil {
		fmt.Println(err)
		return
	}
	m, err := calibrate.NewModel(res)
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := m.Dist("QB", 20)
	rho, _ := m.Correlation("WR", "QB", calibrate.SameTeam)
	fmt.Printf("rows %d, positions %v, converged %v\n", res.Rows, res.Model.Positions, res.Diagnostics.Converged)
	fmt.Printf("QB at 20: mean %.0f, sd %.0f; QB-WR same team %.1f\n", d.Mean, d.SD, rho)
	// Output:
	// rows 720, positions [QB WR], converged true
	// QB at 20: mean 18, sd 6; QB-WR same team 0.4
}
