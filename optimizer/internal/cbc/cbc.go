// Package cbc solves lineup problems with the COIN-OR CBC MIP solver (Debian
// package coinor-cbc), as an independent oracle for the lineup optimizer's
// tests and benchmarks. Its model is the textbook assignment formulation
// (one binary per player and slot), written in CPLEX LP format; it shares no
// code with the optimizer's formulation.
package cbc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// ErrNotInstalled is returned when the cbc binary is not on PATH.
var ErrNotInstalled = errors.New("cbc: binary not found on PATH (install Debian's coinor-cbc)")

// Available reports whether the cbc binary can be run.
func Available() bool {
	_, err := exec.LookPath("cbc")
	return err == nil
}

// Problem is the lineup problem the oracle supports: the site rules, the
// pool, a minimum salary, and rosters to differ from (no-good rows).
type Problem struct {
	Rules     *slate.Rules
	Players   []slate.Player
	MinSalary int
	// Previous rosters as (player index, slot index) pairs; the new lineup
	// must differ from each in at least MinUnique (player, multiplier class)
	// pairs.
	Previous  [][][2]int
	MinUnique int
}

// Solution is an optimal lineup: (player index, slot index) pairs and its value.
type Solution struct {
	Picks     [][2]int
	Objective float64
}

// Solve writes the model, runs cbc and reads the optimal solution. ok is
// false when cbc proves the model infeasible.
func Solve(ctx context.Context, p *Problem, dir string) (sol Solution, ok bool, err error) {
	if !Available() {
		return sol, false, ErrNotInstalled
	}
	lpPath := filepath.Join(dir, "model.lp")
	solPath := filepath.Join(dir, "solution.txt")
	names, err := writeModel(lpPath, p)
	if err != nil {
		return sol, false, err
	}
	cmd := exec.CommandContext(ctx, "cbc", lpPath, "solve", "solu", solPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		return sol, false, fmt.Errorf("cbc: %w: %s", err, out)
	}
	return readSolution(solPath, names)
}

type varName struct{ player, slot int }

func key(r *slate.Rules, slot int) string {
	s := r.Slots[slot]
	return fmt.Sprintf("%g/%g", s.PointsMultiplier, s.SalaryMultiplier)
}

func writeModel(path string, p *Problem) (map[string]varName, error) {
	r := p.Rules
	var b strings.Builder
	names := map[string]varName{}
	vars := map[[2]int]string{}
	for i, pl := range p.Players {
		for s := range r.Slots {
			if r.Slots[s].Accepts(pl.Positions) {
				n := fmt.Sprintf("x_%d_%d", i, s)
				vars[[2]int{i, s}] = n
				names[n] = varName{i, s}
			}
		}
	}
	b.WriteString("Maximize\n obj:")
	for i := range p.Players {
		for s := range r.Slots {
			if n, ok := vars[[2]int{i, s}]; ok {
				fmt.Fprintf(&b, " + %.6f %s", r.SlotPoints(&p.Players[i], s), n)
			}
		}
	}
	b.WriteString("\nSubject To\n")
	row := 0
	emit := func(terms []string, op string, rhs float64) {
		if len(terms) == 0 {
			terms = []string{"0 x_dummy"}
		}
		row++
		fmt.Fprintf(&b, " c%d: %s %s %g\n", row, strings.Join(terms, " + "), op, rhs)
	}
	// each slot filled once
	for s := range r.Slots {
		var t []string
		for i := range p.Players {
			if n, ok := vars[[2]int{i, s}]; ok {
				t = append(t, n)
			}
		}
		emit(t, "=", 1)
	}
	// each player at most once
	for i := range p.Players {
		var t []string
		for s := range r.Slots {
			if n, ok := vars[[2]int{i, s}]; ok {
				t = append(t, n)
			}
		}
		if len(t) > 1 {
			emit(t, "<=", 1)
		}
	}
	// salary
	var sal []string
	for i := range p.Players {
		for s := range r.Slots {
			if n, ok := vars[[2]int{i, s}]; ok {
				sal = append(sal, fmt.Sprintf("%d %s", r.SlotSalary(&p.Players[i], s), n))
			}
		}
	}
	emit(sal, "<=", float64(r.SalaryCap))
	if p.MinSalary > 0 {
		emit(sal, ">=", float64(p.MinSalary))
	}
	// team limit
	if r.MaxPerTeam > 0 {
		teams := map[string][]string{}
		for i := range p.Players {
			if !r.CountsTowardTeamLimit(&p.Players[i]) {
				continue
			}
			for s := range r.Slots {
				if n, ok := vars[[2]int{i, s}]; ok {
					teams[p.Players[i].Team] = append(teams[p.Players[i].Team], n)
				}
			}
		}
		for _, t := range teams {
			emit(t, "<=", float64(r.MaxPerTeam))
		}
	}
	// minimum games / teams with indicator variables
	var binaries []string
	group := func(min int, of func(pl *slate.Player) string, prefix string) {
		if min < 2 {
			return
		}
		members := map[string][]string{}
		var order []string
		for i := range p.Players {
			g := of(&p.Players[i])
			if _, ok := members[g]; !ok {
				order = append(order, g)
			}
			for s := range r.Slots {
				if n, ok := vars[[2]int{i, s}]; ok {
					members[g] = append(members[g], n)
				}
			}
		}
		var ys []string
		for k, g := range order {
			y := fmt.Sprintf("%s_%d", prefix, k)
			ys = append(ys, y)
			binaries = append(binaries, y)
			emit(append([]string{y}, negate(members[g])...), "<=", 0)
		}
		emit(ys, ">=", float64(min))
	}
	group(r.MinGames, func(pl *slate.Player) string { return pl.GameKey() }, "g")
	group(r.MinTeams, func(pl *slate.Player) string { return pl.Team }, "t")
	// no-good rows over (player, multiplier class)
	for _, prev := range p.Previous {
		var t []string
		for _, pk := range prev {
			k := key(r, pk[1])
			for s := range r.Slots {
				if key(r, s) != k {
					continue
				}
				if n, ok := vars[[2]int{pk[0], s}]; ok {
					t = append(t, n)
				}
			}
		}
		emit(t, "<=", float64(len(r.Slots)-max(1, p.MinUnique)))
	}
	b.WriteString("Binary\n")
	for n := range names {
		fmt.Fprintf(&b, " %s\n", n)
	}
	for _, y := range binaries {
		fmt.Fprintf(&b, " %s\n", y)
	}
	b.WriteString("End\n")
	return names, os.WriteFile(path, []byte(b.String()), 0o600)
}

func negate(terms []string) []string {
	out := make([]string, len(terms))
	for k, t := range terms {
		out[k] = "-1 " + t
	}
	return out
}

func readSolution(path string, names map[string]varName) (Solution, bool, error) {
	var sol Solution
	f, err := os.Open(path)
	if err != nil {
		return sol, false, fmt.Errorf("cbc solution: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return sol, false, errors.New("cbc solution: empty file")
	}
	head := sc.Text()
	switch {
	case strings.HasPrefix(head, "Infeasible"), strings.Contains(head, "infeasible"):
		return sol, false, nil
	case !strings.HasPrefix(head, "Optimal"):
		return sol, false, fmt.Errorf("cbc did not prove optimality: %s", head)
	}
	if i := strings.LastIndex(head, "objective value"); i >= 0 {
		sol.Objective, _ = strconv.ParseFloat(strings.TrimSpace(head[i+len("objective value"):]), 64)
	}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		if f[0] == "**" {
			f = f[1:]
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil || v < 0.5 {
			continue
		}
		if vn, ok := names[f[1]]; ok {
			sol.Picks = append(sol.Picks, [2]int{vn.player, vn.slot})
		}
	}
	return sol, true, sc.Err()
}
