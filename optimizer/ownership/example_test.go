package ownership_test

import (
	"context"
	"fmt"

	"github.com/dfsopt/dfsopt/optimizer/ownership"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// A two-game DraftKings NFL slate: QBs share one slot, so their ownership
// sums to 1; the whole lineup sums to 9.
func ExampleProject() {
	var players []slate.Player
	add := func(id, pos, team, opp string, salary int, proj float64) {
		players = append(players, slate.Player{ID: id, Name: id, Positions: []string{pos}, Team: team, Opponent: opp, Salary: salary, Projection: proj})
	}
	teams := [][2]string{{"KC", "BUF"}, {"BUF", "KC"}, {"DAL", "NYG"}, {"NYG", "DAL"}}
	for k, t := range teams {
		add("QB-"+t[0], "QB", t[0], t[1], 6000+300*k, 20-float64(k))
		add("DST-"+t[0], "DST", t[0], t[1], 2500+200*k, 7)
		add("TE-"+t[0], "TE", t[0], t[1], 3500+400*k, 9+float64(k))
		for j := range 3 {
			add(fmt.Sprintf("RB%d-%s", j, t[0]), "RB", t[0], t[1], 4000+1500*j, 10+4*float64(j)+float64(k))
			add(fmt.Sprintf("WR%d-%s", j, t[0]), "WR", t[0], t[1], 3800+1800*j, 9+5*float64(j)-float64(k))
		}
	}
	res, err := ownership.Project(context.Background(), &schema.OwnershipRequest{Site: "draftkings", Sport: "nfl", Players: players})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("total %.2f for %d slots; QB %.2f, DST %.2f; model %s/%s\n",
		res.Total, res.RosterSize, res.Positions["QB"], res.Positions["DST"], res.Model.Name, res.Model.Coefficients)
	// Output: total 9.00 for 9 slots; QB 1.00, DST 1.00; model position-softmax/nfl
}

// Fill completes the ownership the contest simulator's field generator needs.
func ExampleFill() {
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NBA, slate.Classic)
	players := []slate.Player{
		{ID: "a", Positions: []string{"PG"}, Team: "BOS", Salary: 9000, Projection: 48, Ownership: 0.35},
		{ID: "b", Positions: []string{"SG"}, Team: "BOS", Salary: 5000, Projection: 28},
		{ID: "c", Positions: []string{"SF", "PF"}, Team: "NYK", Salary: 7000, Projection: 35},
	}
	n, err := ownership.Fill(context.Background(), rules, players)
	fmt.Println(n, err, players[0].Ownership)
	// Output: 2 <nil> 0.35
}
