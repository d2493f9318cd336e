package lineup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// started reports whether a player's game has started for late swap.
func (o *optimization) started(i int) bool {
	p := &o.pool[i]
	if p.GameStarted {
		return true
	}
	for _, g := range o.req.LateSwap.StartedGames {
		if strings.EqualFold(g, p.GameKey()) || strings.EqualFold(g, p.Team) {
			return true
		}
	}
	return false
}

// lateSwap re-optimizes each entered lineup: players whose game started keep
// their slot, every other slot is re-optimized (other started players cannot
// be added). Each lineup is optimized on its own; exposure and uniqueness
// constraints do not apply across late-swapped lineups.
func (o *optimization) lateSwap(ctx context.Context, progress Progress) (*schema.OptimizeResult, error) {
	in := o.req.LateSwap.Lineups
	var lineups []schema.Lineup
	for k, picks := range in {
		field := fmt.Sprintf("late_swap.lineups[%d]", k)
		if len(picks) != o.rules.Size() {
			return nil, fieldErr(field, schema.ReasonInvalid, "%s has %d players; a lineup has %d", field, len(picks), o.rules.Size())
		}
		used := make([]bool, o.rules.Size())
		var pp []pin
		for t, pk := range picks {
			i, ok := o.byID[pk.ID]
			if !ok {
				return nil, fieldErr(fmt.Sprintf("%s[%d].id", field, t), schema.ReasonNotFound, "player %q is not in the player pool", pk.ID)
			}
			slot := -1
			for si, s := range o.rules.Slots {
				if !used[si] && strings.EqualFold(s.Name, pk.Slot) {
					slot = si
					break
				}
			}
			if slot < 0 {
				return nil, fieldErr(fmt.Sprintf("%s[%d].slot", field, t), schema.ReasonInvalid, "slot %q is not free in this roster", pk.Slot)
			}
			used[slot] = true
			if o.started(i) {
				if !o.rules.Slots[slot].Accepts(o.pool[i].Positions) {
					return nil, fieldErr(fmt.Sprintf("%s[%d].slot", field, t), schema.ReasonInvalid, "player %q cannot play slot %q", pk.ID, pk.Slot)
				}
				pp = append(pp, pin{player: i, slot: slot})
			}
		}
		pr := *o.prob
		pr.pins = pp
		pr.minUnique = 0
		md := buildModel(&pr)
		for i := range o.pool {
			switch {
			case o.locked[i] && !slices.ContainsFunc(pp, func(p pin) bool { return p.player == i }):
				md.fixPlayer(i, 1)
			case o.started(i):
				md.fixPlayer(i, 0)
			}
		}
		s := &search{md: md}
		cols, ok, err := s.solveLineup(ctx)
		if err != nil {
			return nil, fmt.Errorf("late swap lineup %d: %w", k+1, err)
		}
		if !ok {
			return nil, &InfeasibleError{Reason: fmt.Sprintf("%s cannot be completed around its started players", field)}
		}
		o.account(s)
		lineups = append(lineups, o.assemble(md, cols, pp))
		if progress != nil {
			progress(k+1, len(in))
		}
	}
	return o.result(lineups), nil
}
